"""The night's records in the store: schedules, documented outcomes, tonight's list."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from central.audit.store import append, commit_with_retry
from central.consent import service as consent_service
from central.consent.models import ConsentVersion, Recipient
from central.db import aware
from central.errors import CentralError
from central.night.models import Outcome, ScheduleEntry
from central.night.slots import Documented, OutcomeKind, Slot, night_slots
from central.nodes.models import CameraNode
from nattvakt.night import covers, night_of
from nattvakt.settings import Settings
from privacy.consent_model import Consent


class ScheduleError(CentralError, ValueError):
    """A check-in time that the recipient's consent does not cover."""


def schedule_of(db: Session, recipient_id: int) -> list[time]:
    return list(db.scalars(select(ScheduleEntry.at).where(ScheduleEntry.recipient_id == recipient_id)
                           .order_by(ScheduleEntry.at)))


def set_schedule(db: Session, recipient_id: int, times: list[time], actor: str) -> list[time]:
    """Replace the recipient's check-in times; each must lie inside one of their consented windows."""
    consent = consent_service.current_consent(db, recipient_id)
    if times and (consent is None or consent.withdrawn_at is not None):
        raise ScheduleError(f"care recipient {recipient_id} has no consent in force: no check-in can be scheduled")
    for moment in times:
        assert consent is not None
        if not covers(consent.scope.scheduled, moment):
            windows = ", ".join(w.label() for w in consent.scope.in_night_order()) or "none"
            raise ScheduleError(f"times: {moment:%H:%M} lies outside every consented window ({windows})")

    def work(s: Session) -> None:
        s.execute(delete(ScheduleEntry).where(ScheduleEntry.recipient_id == recipient_id))
        now = datetime.now(UTC)
        for moment in times:
            s.add(ScheduleEntry(recipient_id=recipient_id, at=moment, created_by=actor, created_at=now))
        append(s, "schedule_changed", actor, recipient_id, {"times": [f"{t:%H:%M}" for t in times]})

    commit_with_retry(db, work)
    return times


def _documented(row: Outcome) -> Documented:
    assert row.slot_at is not None
    return Documented(slot_at=aware(row.slot_at), outcome=row.outcome,  # type: ignore[arg-type]
                      recorded_at=aware(row.recorded_at), staff=row.staff, note=row.note)


@dataclass(frozen=True, slots=True)
class RecipientNight:
    recipient: Recipient
    slots: list[Slot]


def _current_consents(db: Session) -> dict[int, Consent]:
    """Every recipient's newest consent version, in one query."""
    newest = (select(ConsentVersion.recipient_id, func.max(ConsentVersion.version).label("version"))
              .group_by(ConsentVersion.recipient_id).subquery())
    rows = db.scalars(select(ConsentVersion).join(newest, and_(
        ConsentVersion.recipient_id == newest.c.recipient_id, ConsentVersion.version == newest.c.version)))
    return {row.recipient_id: Consent.model_validate_json(row.body) for row in rows}


def night_of_recipients(db: Session, night: date, now: datetime, relook_after: timedelta) -> list[RecipientNight]:
    """Every recipient's check-ins of the night beginning on `night`, with states as of `now` (four queries)."""
    consents = _current_consents(db)
    schedules: dict[int, list[time]] = defaultdict(list)
    for entry in db.scalars(select(ScheduleEntry).order_by(ScheduleEntry.at)):
        schedules[entry.recipient_id].append(entry.at)
    outcomes: dict[int, list[Documented]] = defaultdict(list)
    for row in db.scalars(select(Outcome).where(Outcome.night == night, Outcome.slot_at.is_not(None))
                          .order_by(Outcome.id)):
        if row.recipient_id is not None:
            outcomes[row.recipient_id].append(_documented(row))
    return [
        RecipientNight(r, night_slots(consents.get(r.id), night, now, outcomes[r.id], schedules[r.id], relook_after))
        for r in consent_service.list_recipients(db)
    ]


def night_of_recipient(db: Session, recipient: Recipient, night: date, now: datetime,
                       relook_after: timedelta) -> list[Slot]:
    """One recipient's check-ins of the night, as `night_of_recipients` gives them (three small queries)."""
    rows = db.scalars(select(Outcome).where(
        Outcome.night == night, Outcome.slot_at.is_not(None), Outcome.recipient_id == recipient.id,
    ).order_by(Outcome.id))
    outcomes = [_documented(row) for row in rows]
    return night_slots(consent_service.current_consent(db, recipient.id), night, now, outcomes,
                       schedule_of(db, recipient.id), relook_after)


def record_checkin_outcome(db: Session, recipient: Recipient, night: date, slot: Slot, outcome: OutcomeKind,
                           note: str, staff: str) -> Outcome:
    row = Outcome(recipient_id=recipient.id, night=night, slot_at=slot.slot_at, room=recipient.room,
                  outcome=outcome, note=note, staff=staff, recorded_at=datetime.now(UTC))
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
