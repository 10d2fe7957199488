"""The night's calls and visits as the handover report shows them (names included: the report stays in the home)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from central.db import aware
from central.visits import records
from central.visits.figures import VisitFigures


@dataclass(frozen=True, slots=True)
class VisitRow:
    cause_at: str
    recipient: str
    room: str
    cause: str
    promise_at: str
    on_way_at: str
    arrived_at: str
    done_at: str
    outcome: str
    staff: str
    late: bool


@dataclass(frozen=True, slots=True)
class CallRow:
    created_at: str
    recipient: str
    room: str
    phone: str
    outcome: str
    outcome_at: str
    staff: str


@dataclass(frozen=True, slots=True)
class NightVisits:
    visits: list[VisitRow]
    calls: list[CallRow]
    figures: VisitFigures


def _hm(moment: datetime | None, home: ZoneInfo) -> str:
    return aware(moment).astimezone(home).strftime("%H:%M") if moment else ""


def night_visits(db: Session, night: date, now: datetime, relook_after: timedelta, home: ZoneInfo) -> NightVisits:
    visits, calls = records.visits_of(db, [night]), records.calls_of(db, [night])
    names = records.names(db, {v.recipient_id for v in visits if v.recipient_id is not None}
                          | {c.recipient_id for c in calls})
    return NightVisits(
        visits=[VisitRow(_hm(v.cause_at, home), names.get(v.recipient_id or 0, ""), v.room, v.cause,
                         _hm(v.promise_at, home), _hm(v.on_way_at, home), _hm(v.arrived_at, home),
                         _hm(v.done_at, home), v.outcome or "", v.done_by or v.arrived_by or v.on_way_by or "",
                         (aware(v.arrived_at) if v.arrived_at else now) > aware(v.promise_at)) for v in visits],
        calls=[CallRow(_hm(c.created_at, home), names.get(c.recipient_id, ""), c.room, c.phone, c.outcome or "",
                       _hm(c.outcome_at, home), c.staff or "") for c in calls],
        figures=records.figures_of(db, [night], now, relook_after, home),
    )
