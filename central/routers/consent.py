"""Consent versions: the current one, the history, new terms, and withdrawal. Changing consent is for nurse_admin.

Every change is a new version, audited in the same transaction, and pushed at once to the nodes in the room.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, HTTPException, status
from pydantic import ValidationError
from sqlalchemy.orm import Session

from central import consent_service as service
from central.consent_copies import ConsentCopies
from central.consent_deps import CareStaffDep, CopiesDep, NurseAdminDep
from central.consent_schemas import ConsentChange, WithdrawIn
from central.dependencies import DbDep
from central.routers.recipients import found
from privacy.consent_model import Consent, ConsentTerms

router = APIRouter(prefix="/api/recipients/{recipient_id}/consent", tags=["consent"])


def apply_change(db: Session, copies: ConsentCopies, recipient_id: int, change: Callable[[], Consent]) -> ConsentChange:
    """Run a consent change, map its errors to problem details, and push the new version to the nodes."""
    found(db, recipient_id)
    try:
        consent = change()
    except service.ConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "consent"
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{where}: {first['msg']}") from exc
    return ConsentChange(consent=consent, nodes_not_reached=copies.publish_for_recipient(db, recipient_id))


@router.get("")
def current(recipient_id: int, db: DbDep, _staff: CareStaffDep) -> Consent:
    found(db, recipient_id)
    consent = service.current_consent(db, recipient_id)
    if consent is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"care recipient {recipient_id} has no consent on record")
    return consent


@router.get("/history")
def history(recipient_id: int, db: DbDep, _staff: NurseAdminDep) -> list[Consent]:
    """Every version, oldest first."""
    found(db, recipient_id)
    return service.consent_history(db, recipient_id)


@router.post("", status_code=status.HTTP_201_CREATED)
def record_terms(recipient_id: int, terms: ConsentTerms, db: DbDep, staff: NurseAdminDep,
                 copies: CopiesDep) -> ConsentChange:
    """Store new terms as the next version."""
    return apply_change(db, copies, recipient_id,
                        lambda: service.record_terms(db, recipient_id, terms, staff.username))


@router.post("/withdraw")
def withdraw(recipient_id: int, body: WithdrawIn, db: DbDep, staff: NurseAdminDep, copies: CopiesDep) -> ConsentChange:
    """Withdraw consent, effective at once: central and every node refuse from now on."""
    return apply_change(db, copies, recipient_id,
                        lambda: service.withdraw(db, recipient_id, staff.username, body.withdrawn_by))
