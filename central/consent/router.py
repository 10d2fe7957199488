"""Consent versions: the current one, the history, new terms, and withdrawal. Changing consent is for nurse_admin.

Every change is a new version, audited in the same transaction, and pushed at once to the nodes in the room.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from central.consent import service
from central.consent.changes import apply_change
from central.consent.schemas import ConsentChange, WithdrawIn
from central.dependencies import CareStaffDep, CopiesDep, DbDep, NurseAdminDep, found
from privacy.consent_model import Consent, ConsentTerms

router = APIRouter(prefix="/api/recipients/{recipient_id}/consent", tags=["consent"])


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
