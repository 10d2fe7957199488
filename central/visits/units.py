"""Care units' escalation chains and recipients' contact (phone number, unit): configuration, audited when changed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.audit.store import append, commit_with_retry
from central.visits.errors import EscalationError
from central.visits.models import EscalationUnit, RecipientContact
from central.visits.policy import DEFAULT_POLICY, EscalationPolicy


def unit_policy(db: Session, name: str) -> EscalationPolicy | None:
    row = db.get(EscalationUnit, name)
    return EscalationPolicy.model_validate_json(row.policy) if row else None


def units(db: Session) -> dict[str, EscalationPolicy]:
    return {row.name: EscalationPolicy.model_validate_json(row.policy)
            for row in db.scalars(select(EscalationUnit).order_by(EscalationUnit.name))}


def set_unit_policy(db: Session, name: str, policy: EscalationPolicy, actor: str) -> None:
    def work(s: Session) -> None:
        row = s.get(EscalationUnit, name)
        body = policy.model_dump_json()
        if row is None:
            s.add(EscalationUnit(name=name, policy=body, updated_by=actor, updated_at=datetime.now(UTC)))
        else:
            row.policy, row.updated_by, row.updated_at = body, actor, datetime.now(UTC)
        append(s, "escalation_changed", actor, None, {"unit": name, "policy": policy.model_dump(mode="json")})

    commit_with_retry(db, work)


def contact_of(db: Session, recipient_id: int) -> RecipientContact | None:
    return db.get(RecipientContact, recipient_id)


def set_contact(db: Session, recipient_id: int, phone: str, unit: str | None, actor: str) -> RecipientContact:
    if unit is not None and db.get(EscalationUnit, unit) is None:
        raise EscalationError(f"unit: no care unit named {unit!r} (define its chain first)")

    def work(s: Session) -> RecipientContact:
        row = s.get(RecipientContact, recipient_id)
        if row is None:
            row = RecipientContact(recipient_id=recipient_id, phone=phone, unit=unit)
            s.add(row)
        else:
            row.phone, row.unit = phone, unit
        append(s, "contact_changed", actor, recipient_id, {"unit": unit, "phone_set": bool(phone)})
        return row

    return commit_with_retry(db, work)


def policy_for(db: Session, recipient_id: int | None) -> EscalationPolicy:
    """The chain of the recipient's unit; the default chain when they have none."""
    contact = db.get(RecipientContact, recipient_id) if recipient_id is not None else None
    if contact is None or contact.unit is None:
        return DEFAULT_POLICY
    return unit_policy(db, contact.unit) or DEFAULT_POLICY
