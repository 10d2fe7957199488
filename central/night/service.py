"""The night's records in the store: documented outcomes and tonight's list, planned from the consent versions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from central.consent import service as consent_service
from central.consent.models import ConsentVersion, Recipient
from central.db import aware
from central.night.models import Outcome
from central.night.slots import Documented, OutcomeKind, Slot, night_slots
from central.nodes.models import CameraNode
from nattvakt.night import night_of, night_start
from nattvakt.settings import Settings
from privacy.consent_model import Consent, ScheduledWindow


def _documented(row: Outcome) -> Documented:
    assert row.slot_at is not None
    return Documented(slot_at=aware(row.slot_at), outcome=row.outcome,  # type: ignore[arg-type]
                      recorded_at=aware(row.recorded_at), staff=row.staff, note=row.note,
                      window_start=aware(row.window_start) if row.window_start else None,
                      window_end=aware(row.window_end) if row.window_end else None)


@dataclass(frozen=True, slots=True)
class RecipientNight:
    recipient: Recipient
    slots: list[Slot]


def _newest_versions(db: Session) -> dict[int, Consent]:
    """Every recipient's newest consent version, in one query."""
    latest = (select(ConsentVersion.recipient_id, func.max(ConsentVersion.version).label("version"))
              .group_by(ConsentVersion.recipient_id).subquery())
    rows = db.scalars(select(ConsentVersion).join(latest, and_(
        ConsentVersion.recipient_id == latest.c.recipient_id, ConsentVersion.version == latest.c.version)))
    return {row.recipient_id: Consent.model_validate_json(row.body) for row in rows}


def _versions_at_start(db: Session, night: date, newest: dict[int, Consent]) -> dict[int, Consent]:
    """Each recipient's version in force when the night began (in their consent's zone): two small queries."""
    picked: dict[int, int] = {}
    for rid, version, recorded_at in db.execute(
            select(ConsentVersion.recipient_id, ConsentVersion.version, ConsentVersion.recorded_at)):
        consent = newest.get(rid)
        if consent is not None and aware(recorded_at) < night_start(night, consent.zone):
            picked[rid] = max(picked.get(rid, 0), version)
    if not picked:
        return {}
    rows = db.scalars(select(ConsentVersion).where(
        or_(*(and_(ConsentVersion.recipient_id == rid, ConsentVersion.version == v) for rid, v in picked.items()))))
    return {row.recipient_id: Consent.model_validate_json(row.body) for row in rows}


def tonights_plan(at_start: Consent | None, newest: Consent) -> tuple[ScheduledWindow, ...]:
    """The windows of a night: those in force when it began, else (consent given or renewed during the night) the
    newest. A change of windows so applies from the next night; a withdrawal or pause applies at once (`slots`)."""
    if at_start is None or at_start.withdrawn_at is not None:
        return newest.scope.scheduled
    return at_start.scope.scheduled


def _slots(consent: Consent | None, at_start: Consent | None, night: date, now: datetime,
           outcomes: list[Documented], relook: timedelta) -> list[Slot]:
    if consent is None:
        return []
    return night_slots(consent, night, now, outcomes, relook, plan=tonights_plan(at_start, consent))


def _outcomes(db: Session, night: date, recipient_id: int | None = None) -> dict[int, list[Documented]]:
    query = select(Outcome).where(Outcome.night == night, Outcome.slot_at.is_not(None))
    if recipient_id is not None:
        query = query.where(Outcome.recipient_id == recipient_id)
    found: dict[int, list[Documented]] = defaultdict(list)
    for row in db.scalars(query.order_by(Outcome.id)):
        if row.recipient_id is not None:
            found[row.recipient_id].append(_documented(row))
    return found


def night_of_recipients(db: Session, night: date, now: datetime, relook_after: timedelta) -> list[RecipientNight]:
    """Every recipient's check-ins of the night beginning on `night`, with states as of `now` (four queries)."""
    consents = _newest_versions(db)
    starts = _versions_at_start(db, night, consents)
    outcomes = _outcomes(db, night)
    nights = []
    for r in consent_service.list_recipients(db):
        slots = _slots(consents.get(r.id), starts.get(r.id), night, now, outcomes[r.id], relook_after)
        if not r.active:  # deactivated: nothing more is planned, but what was done stays in the record
            slots = [s for s in slots if s.outcome is not None]
        if r.active or slots:
            nights.append(RecipientNight(r, slots))
    return nights


def night_of_recipient(db: Session, recipient: Recipient, night: date, now: datetime,
                       relook_after: timedelta) -> list[Slot]:
    """One recipient's check-ins of the night, as `night_of_recipients` gives them."""
    consent = consent_service.current_consent(db, recipient.id)
    if consent is None:
        return []
    history = consent_service.consent_history(db, recipient.id)
    began = night_start(night, consent.zone)
    at_start = next((c for c in reversed(history) if c.recorded_at < began), None)
    return _slots(consent, at_start, night, now, _outcomes(db, night, recipient.id)[recipient.id], relook_after)


def record_checkin_outcome(db: Session, recipient: Recipient, night: date, slot: Slot, outcome: OutcomeKind,
                           note: str, staff: str) -> Outcome:
    row = Outcome(recipient_id=recipient.id, night=night, slot_at=slot.slot_at, room=recipient.room,
                  window_start=slot.start, window_end=slot.end, outcome=outcome, note=note, staff=staff,
                  recorded_at=datetime.now(UTC))
    db.add(row)
    db.commit()
    return row


def record_event_outcome(db: Session, event_id: str, kind: str, room: str, node: str, started_at: datetime,
                         outcome: OutcomeKind, note: str, staff: str, home: ZoneInfo) -> Outcome:
    node_row = db.get(CameraNode, node)
    row = Outcome(recipient_id=node_row.recipient_id if node_row else None, night=night_of(started_at, home),
                  event_id=event_id, event_kind=kind, event_at=started_at, room=room, outcome=outcome, note=note,
                  staff=staff, recorded_at=datetime.now(UTC))
    db.add(row)
    db.commit()
    return row


def event_outcomes(db: Session, night: date) -> list[Outcome]:
    return list(db.scalars(select(Outcome).where(Outcome.night == night, Outcome.event_id.is_not(None))
                           .order_by(Outcome.recorded_at)))


def relook_after(settings: Settings) -> timedelta:
    """How long after a `not_visible` the person must be looked at again."""
    return timedelta(minutes=settings.central.relook_after_min)
