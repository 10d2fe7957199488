"""Care recipients, node assignment, personal codes and tonight's check-ins."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status
from sqlalchemy.orm import Session

from central.consent import service
from central.consent.models import Recipient
from central.consent.schemas import (
    AccessCodeOut,
    NodeAssignment,
    NodeOut,
    RecipientEdit,
    RecipientIn,
    RecipientOut,
)
from central.dependencies import CareStaffDep, CopiesDep, DbDep, NightQuery, NurseAdminDep, SettingsDep, found
from central.night import service as night_service
from central.night.checkins import CheckIn, checkins_of
from central.nodes.models import CameraNode
from nattvakt.night import night_of

router = APIRouter(prefix="/api", tags=["recipients"])


def _out(db: Session, recipient: Recipient) -> RecipientOut:
    return RecipientOut(
        id=recipient.id, name=recipient.name, room=recipient.room, nodes=service.nodes_of(db, recipient.id),
        has_access_code=recipient.access_code_hash is not None, active=recipient.active,
    )


@router.post("/recipients", status_code=status.HTTP_201_CREATED)
def create_recipient(body: RecipientIn, db: DbDep, staff: NurseAdminDep) -> RecipientOut:
    return _out(db, service.create_recipient(db, body.name, body.room, staff.username))


@router.get("/recipients")
def list_recipients(db: DbDep, _staff: CareStaffDep) -> list[RecipientOut]:
    return [_out(db, r) for r in service.list_recipients(db)]


@router.get("/recipients/{recipient_id}")
def get_recipient(recipient_id: int, db: DbDep, _staff: CareStaffDep) -> RecipientOut:
    return _out(db, found(db, recipient_id))


@router.patch("/recipients/{recipient_id}")
def edit_recipient(recipient_id: int, body: RecipientEdit, db: DbDep, staff: NurseAdminDep) -> RecipientOut:
    """Rename, move to another room, deactivate (moved out) or bring back; consent and records stay."""
    found(db, recipient_id)
    return _out(db, service.edit_recipient(db, recipient_id, body.model_dump(exclude_unset=True, exclude_none=True),
                                           staff.username))


@router.put("/nodes/{node_id}")
def assign_node(node_id: str, body: NodeAssignment, db: DbDep, staff: NurseAdminDep, copies: CopiesDep) -> NodeOut:
    """Point a camera node at a recipient's room; it gets a fresh signed consent copy at once."""
    if not node_id or len(node_id) > 64:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"node_id {node_id!r} must be 1-64 characters")
    if body.recipient_id is not None:
        found(db, body.recipient_id)
    service.assign_node(db, node_id, body.recipient_id, staff.username)
    missed = copies.publish(db, [node_id])
    node = db.get(CameraNode, node_id, populate_existing=True)
    assert node is not None
    return NodeOut(node_id=node_id, recipient_id=node.recipient_id, copy_version=node.copy_version,
                   delivered=not missed)


@router.post("/recipients/{recipient_id}/access-code", status_code=status.HTTP_201_CREATED)
def issue_access_code(recipient_id: int, db: DbDep, staff: NurseAdminDep) -> AccessCodeOut:
    """A new personal code for the recipient's own page; the previous one stops working."""
    found(db, recipient_id)
    code = service.issue_access_code(db, recipient_id, staff.username)
    return AccessCodeOut(code=code, link=f"/p/{code}")


@router.get("/recipients/{recipient_id}/checkins")
def checkins(
    recipient_id: int, db: DbDep, settings: SettingsDep, _staff: CareStaffDep, night: NightQuery = None,
) -> list[CheckIn]:
    """One night's check-ins, the same list as tonight's, each marked allowed or not (paused, expired)."""
    recipient = found(db, recipient_id)
    now = datetime.now(UTC)
    which = night or night_of(now, settings.central.home_zone)
    slots = night_service.night_of_recipient(db, recipient, which, now, night_service.relook_after(settings))
    return checkins_of(service.current_consent(db, recipient_id), slots)
