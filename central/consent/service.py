"""Recipients, their consent versions, pauses and personal codes; every change is audited in the same transaction.

A consent version is never edited: each change (new terms, a pause, an early resume, a withdrawal) stores a new
version made from the previous one, and the audit record of the change commits together with it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from central.audit.store import append, commit_with_retry
from central.consent.models import ConsentVersion, Recipient
from central.errors import CentralError
from central.nodes.models import CameraNode
from privacy.consent_model import Consent, ConsentTerms, Pause, next_local_time


class NotFoundError(CentralError, LookupError):
    """A recipient, node or consent the request names does not exist."""


class ConflictError(CentralError, ValueError):
    """The change does not fit the current state (e.g. pausing a withdrawn consent)."""


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def get_recipient(db: Session, recipient_id: int) -> Recipient:
    recipient = db.get(Recipient, recipient_id)
    if recipient is None:
        raise NotFoundError(f"no care recipient with id {recipient_id}")
    return recipient


def create_recipient(db: Session, name: str, room: str, actor: str) -> Recipient:
    def work(s: Session) -> Recipient:
        recipient = Recipient(name=name, room=room, created_at=datetime.now(UTC))
        s.add(recipient)
        s.flush()
        append(s, "recipient_created", actor, recipient.id, {"room": room})
        return recipient

    return commit_with_retry(db, work)


def list_recipients(db: Session, *, active_only: bool = False) -> list[Recipient]:
    query = select(Recipient).order_by(Recipient.id)
    return list(db.scalars(query.where(Recipient.active.is_(True)) if active_only else query))


def edit_recipient(db: Session, recipient_id: int, changes: dict[str, Any], actor: str) -> Recipient:
    """Change name, room or whether the recipient is active; audited with what changed."""
    def work(s: Session) -> Recipient:
        recipient = get_recipient(s, recipient_id)
        for field, value in changes.items():
            setattr(recipient, field, value)
        kind = "recipient_deactivated" if changes.get("active") is False else "recipient_edited"
        append(s, kind, actor, recipient_id, {k: v for k, v in changes.items() if k != "name"})
        return recipient

    return commit_with_retry(db, work)


def nodes_of(db: Session, recipient_id: int) -> list[str]:
    return list(db.scalars(select(CameraNode.node_id).where(CameraNode.recipient_id == recipient_id)))


def assign_node(db: Session, node_id: str, recipient_id: int | None, actor: str) -> CameraNode:
    """Point a node at a recipient's room (or at nobody); the caller then publishes a fresh copy to it."""
    if recipient_id is not None:
        get_recipient(db, recipient_id)

    def work(s: Session) -> CameraNode:
        node = s.get(CameraNode, node_id) or CameraNode(node_id=node_id, copy_version=0)
        s.add(node)
        node.recipient_id = recipient_id
        append(s, "node_assigned", actor, recipient_id, {"node_id": node_id})
        return node

    return commit_with_retry(db, work)


def _parse(row: ConsentVersion) -> Consent:
    return Consent.model_validate_json(row.body)


def current_consent(db: Session, recipient_id: int) -> Consent | None:
    row = db.scalars(
        select(ConsentVersion).where(ConsentVersion.recipient_id == recipient_id)
        .order_by(ConsentVersion.version.desc()).limit(1)
    ).first()
    return _parse(row) if row is not None else None


def consent_history(db: Session, recipient_id: int) -> list[Consent]:
    rows = db.scalars(
        select(ConsentVersion).where(ConsentVersion.recipient_id == recipient_id).order_by(ConsentVersion.version)
    )
    return [_parse(row) for row in rows]


BuildVersion = Callable[[Consent | None, datetime], dict[str, Any]]
"""Makes the fields of the next version from the previous one (None: there is none) and the time now."""


def _store_version(db: Session, recipient_id: int, actor: str, change: str, build: BuildVersion) -> Consent:
    """Store the version `build(previous, now) -> dict of Consent fields` makes, with its audit record."""
    get_recipient(db, recipient_id)

    def work(s: Session) -> Consent:
        previous = current_consent(s, recipient_id)
        latest = s.scalar(select(func.max(ConsentVersion.version)).where(ConsentVersion.recipient_id == recipient_id))
        now = datetime.now(UTC)
        fields = build(previous, now)
        consent = Consent.model_validate({
            **fields, "recipient_id": recipient_id, "version": (latest or 0) + 1, "recorded_at": now,
            "recorded_by": actor, "change": change,
        })
        s.add(ConsentVersion(recipient_id=recipient_id, version=consent.version, body=consent.model_dump_json(),
                             recorded_at=now))
        append(s, "consent_changed", actor, recipient_id, {"version": consent.version, "change": change})
        return consent

    return commit_with_retry(db, work)


def _terms_of(previous: Consent) -> dict[str, Any]:
    return previous.model_dump(include=set(ConsentTerms.model_fields))


def _require_active(previous: Consent | None, recipient_id: int) -> Consent:
    if previous is None:
        raise ConflictError(f"care recipient {recipient_id} has no consent on record")
    if previous.withdrawn_at is not None:
        raise ConflictError(f"consent of care recipient {recipient_id} was withdrawn; record new consent first")
    return previous


def record_terms(db: Session, recipient_id: int, terms: ConsentTerms, actor: str) -> Consent:
    """Store new consent terms as the next version (this also ends an earlier withdrawal)."""
    return _store_version(db, recipient_id, actor, "terms recorded", lambda _prev, _now: terms.model_dump())


def withdraw(db: Session, recipient_id: int, actor: str, withdrawn_by: str) -> Consent:
    """Withdraw consent, effective at once."""
    def build(previous: Consent | None, now: datetime) -> dict[str, Any]:
        return {**_terms_of(_require_active(previous, recipient_id)), "withdrawn_at": now}

    return _store_version(db, recipient_id, actor, f"withdrawn by {withdrawn_by}", build)


def pause_tonight(
    db: Session, recipient_id: int, set_by: str, ends_hour: int, on_behalf_of: str | None = None
) -> Consent:
    """Pause the camera from now until `ends_hour` local time (the coming morning)."""
    def build(previous: Consent | None, now: datetime) -> dict[str, Any]:
        active = _require_active(previous, recipient_id)
        end = next_local_time(now, active.zone, ends_hour)
        pause = Pause(start=now, end=end, set_by=set_by, on_behalf_of=on_behalf_of)
        kept = [p for p in active.pauses if p.end > now]
        return {**_terms_of(active), "pauses": [*kept, pause]}

    change = f"paused tonight by {set_by}" + (f" on behalf of {on_behalf_of}" if on_behalf_of else "")
    return _store_version(db, recipient_id, set_by, change, build)


def resume(db: Session, recipient_id: int, actor: str, resumed_by: str) -> Consent:
    """End every pause that covers now (the recipient changed their mind)."""
    def build(previous: Consent | None, now: datetime) -> dict[str, Any]:
        active = _require_active(previous, recipient_id)
        if not any(p.covers(now) for p in active.pauses):
            raise ConflictError(f"care recipient {recipient_id} is not paused now")
        return {**_terms_of(active), "pauses": [p for p in active.pauses if p.start > now]}

    return _store_version(db, recipient_id, actor, f"pause ended by {resumed_by}", build)


def issue_access_code(db: Session, recipient_id: int, actor: str) -> str:
    """A new personal code for the recipient's page (the old one stops working). Shown once; only its hash is kept."""
    code = secrets.token_urlsafe(16)

    def work(s: Session) -> None:
        recipient = get_recipient(s, recipient_id)
        recipient.access_code_hash = _code_hash(code)
        append(s, "access_code_issued", actor, recipient_id, {})

    commit_with_retry(db, work)
    return code


def recipient_for_code(db: Session, code: str) -> Recipient | None:
    if not code or len(code) > 128:
        return None
    return db.scalars(select(Recipient).where(Recipient.access_code_hash == _code_hash(code))).first()
