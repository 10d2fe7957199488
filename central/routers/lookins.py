"""Look-in authorisation (central's half of 'enforced twice') and the audit marks of a look-in's life.

The look-in issue calls `authorize` before offering a stream, then `start` and `stop`; the node checks its own
signed copy again before sending a frame. Every request, refusal, start and stop lands in the audit trail.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from sqlalchemy import select
from sqlalchemy.orm import Session
from ulid import ULID

from central import audit_store
from central import consent_service as service
from central.consent_deps import CareStaffDep
from central.consent_schemas import AuthorizeIn, LookinDecision, LookinMark, LookinRecorded
from central.dependencies import DbDep
from central.models import AuditEntry
from central.routers.recipients import found
from privacy.consent_policy import decide

router = APIRouter(prefix="/api/lookins", tags=["lookins"])
LookinId = Annotated[str, Path(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]


@router.post("/authorize")
def authorize(body: AuthorizeIn, db: DbDep, staff: CareStaffDep) -> LookinDecision:
    """Ask the consent policy whether this look-in may happen now; the answer and the asking are audited."""
    found(db, body.recipient_id)
    lookin_id = str(ULID())

    def work(s: Session) -> LookinDecision:
        consent = service.current_consent(s, body.recipient_id)
        decision = decide(consent, datetime.now(UTC), body.action, body.reason)
        kind = "lookin_authorized" if decision.allowed else "lookin_refused"
        audit_store.append(s, kind, staff.username, body.recipient_id, {
            "lookin_id": lookin_id, "action": body.action.value, "reason": body.reason, "event_id": body.event_id,
            "code": decision.code, "reason_text": decision.reason_text, "level": decision.level,
            "max_duration_s": decision.max_duration.total_seconds(), "consent_version": decision.consent_version,
        })
        return LookinDecision(
            lookin_id=lookin_id, allowed=decision.allowed, level=decision.level,
            max_duration_s=decision.max_duration.total_seconds(), code=decision.code,
            reason_text=decision.reason_text, consent_version=decision.consent_version,
        )

    return audit_store.commit_with_retry(db, work)


def _mark(db: Session, lookin_id: str, kind: str, actor: str, recipient_id: int) -> LookinRecorded:
    found(db, recipient_id)
    authorised = db.scalar(select(AuditEntry.seq).where(
        AuditEntry.kind == "lookin_authorized", AuditEntry.recipient_id == recipient_id,
        AuditEntry.details.contains(json.dumps({"lookin_id": lookin_id})[1:-1]),
    ))
    if authorised is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"look-in {lookin_id} was not authorised for this recipient")
    record = audit_store.commit_with_retry(
        db, lambda s: audit_store.append(s, kind, actor, recipient_id, {"lookin_id": lookin_id})
    )
    return LookinRecorded(lookin_id=lookin_id, at=record.at)


@router.post("/{lookin_id}/start")
def start(lookin_id: LookinId, body: LookinMark, db: DbDep, staff: CareStaffDep) -> LookinRecorded:
    """Record that the stream of an authorised look-in began."""
    return _mark(db, lookin_id, "lookin_started", staff.username, body.recipient_id)


@router.post("/{lookin_id}/stop")
def stop(lookin_id: LookinId, body: LookinMark, db: DbDep, staff: CareStaffDep) -> LookinRecorded:
    """Record that the look-in ended."""
    return _mark(db, lookin_id, "lookin_stopped", staff.username, body.recipient_id)

