"""Reading the escalation's records: tasks to show, a period's calls and visits, alarms due, and the figures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.consent.models import Recipient
from central.db import aware
from central.followup import store
from central.followup.figures import Records, figures
from central.nodes.models import CameraNode
from central.visits.figures import CallRecord, VisitFigures, VisitRecord, visit_figures
from central.visits.models import CallTask, VisitTask
from nattvakt.events import Event


def open_calls(db: Session) -> list[CallTask]:
    return list(db.scalars(select(CallTask).where(CallTask.outcome.is_(None)).order_by(CallTask.due_at)))


def visits_to_show(db: Session, night: date) -> list[VisitTask]:
    """Every visit not done (whatever night it began), then the night's done ones; soonest promise first."""
    rows = db.scalars(select(VisitTask).where((VisitTask.state != "done") | (VisitTask.night == night))
                      .order_by(VisitTask.promise_at))
    return list(rows)


def calls_of(db: Session, nights: Sequence[date]) -> list[CallTask]:
    return list(db.scalars(select(CallTask).where(CallTask.night.in_(nights)).order_by(CallTask.created_at)))


def visits_of(db: Session, nights: Sequence[date]) -> list[VisitTask]:
    return list(db.scalars(select(VisitTask).where(VisitTask.night.in_(nights)).order_by(VisitTask.cause_at)))


def names(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {r.id: r.name for r in db.scalars(select(Recipient).where(Recipient.id.in_(ids)))}


def overdue_to_raise(db: Session, now: datetime) -> list[VisitTask]:
    """Visits past their promise with nobody there yet and no alarm raised."""
    return list(db.scalars(select(VisitTask).where(
        VisitTask.promise_at <= now, VisitTask.arrived_at.is_(None), VisitTask.state != "done",
        VisitTask.overdue_event.is_(None))))


def overdue_to_end(db: Session) -> list[VisitTask]:
    """Visits whose overdue alarm is raised and the patrol has arrived since: the alarm's situation ends."""
    return [v for v in db.scalars(select(VisitTask).where(VisitTask.overdue_event.is_not(None),
                                                          VisitTask.arrived_at.is_not(None)))
            if v.overdue_event and '"state":"ended"' not in v.overdue_event]


def node_of(db: Session, recipient_id: int | None) -> str | None:
    if recipient_id is None:
        return None
    return db.scalars(select(CameraNode.node_id).where(CameraNode.recipient_id == recipient_id).limit(1)).first()


def remember_alarm(db: Session, visit_id: int, event: Event) -> None:
    visit = db.get(VisitTask, visit_id)
    if visit is not None:
        visit.overdue_event = event.model_dump_json()
        db.commit()


def records_of(db: Session, nights: Sequence[date]) -> tuple[list[VisitRecord], list[CallRecord]]:
    visits = [VisitRecord(v.night, v.cause, aware(v.cause_at), aware(v.promise_at),
                          aware(v.arrived_at) if v.arrived_at else None) for v in visits_of(db, nights)]
    return visits, [CallRecord(c.night, c.outcome) for c in calls_of(db, nights)]


def figures_of(db: Session, nights: Sequence[date], now: datetime, relook_after: timedelta, home: ZoneInfo
               ) -> VisitFigures:
    """The visit and call figures of the nights, with the follow-up's visits avoided by a digital check-in."""
    checkins = store.load_checkins(db, list(nights), now, relook_after, home)
    avoided = figures(Records(checkins=checkins), nights, now, home).visits_avoided
    visits, calls = records_of(db, nights)
    return visit_figures(visits, calls, avoided, now)
