"""The escalation's API and the patrol's page: tonight's calls and visits, marking them, units' chains, contact."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from central.db import aware
from central.dependencies import AnyStaffDep, CareStaffDep, DbDep, NightQuery, NurseAdminDep, SettingsDep, found
from central.night.service import relook_after
from central.visits import records, service, units
from central.visits.errors import EscalationError, TaskNotFoundError
from central.visits.figures import VisitFigures, late
from central.visits.figures import VisitRecord as _Record
from central.visits.models import CallTask, VisitTask
from central.visits.policy import EscalationPolicy
from central.visits.schemas import (
    CallDone,
    CallOut,
    CallOutcomeIn,
    ContactIn,
    ContactOut,
    TasksOut,
    UnitOut,
    VisitMarkIn,
    VisitOut,
)
from nattvakt.night import night_of

router = APIRouter(tags=["visits"])
PAGE = FilePath(__file__).parent.parent / "static" / "visits.html"
UnitName = Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-zÅÄÖåäö _-]+$")

def call_out(call: CallTask, names: dict[int, str]) -> CallOut:
    return CallOut(id=call.id, recipient_id=call.recipient_id, name=names.get(call.recipient_id, ""), room=call.room,
                   phone=call.phone, chain_at=aware(call.chain_at), due_at=aware(call.due_at),
                   outcome=call.outcome, outcome_at=aware(call.outcome_at) if call.outcome_at else None,
                   staff=call.staff)

def visit_out(visit: VisitTask, names: dict[int, str], now: datetime) -> VisitOut:
    record = _Record(visit.night, visit.cause, aware(visit.cause_at), aware(visit.promise_at),
                     aware(visit.arrived_at) if visit.arrived_at else None)
    return VisitOut(
        id=visit.id, recipient_id=visit.recipient_id, name=names.get(visit.recipient_id or 0, ""), room=visit.room,
        cause=visit.cause, cause_at=record.cause_at, promise_at=record.promise_at,
        promise_min=visit.promise_min, state=visit.state,
        on_way_at=aware(visit.on_way_at) if visit.on_way_at else None, arrived_at=record.arrived_at,
        done_at=aware(visit.done_at) if visit.done_at else None, outcome=visit.outcome,
        late=late(record, now),
    )

def _names(db: Session, *rows: CallTask | VisitTask) -> dict[int, str]:
    return records.names(db, {r.recipient_id for r in rows if r.recipient_id is not None})

@router.get("/visits", include_in_schema=False)
def visits_page() -> FileResponse:
    """The patrol's page (phone-sized): tonight's calls and visits; it logs in through the console."""
    return FileResponse(PAGE, headers={"Cache-Control": "no-store"})

@router.get("/api/visits")
def tasks(db: DbDep, settings: SettingsDep, _staff: CareStaffDep) -> TasksOut:
    """Calls still to make, and visits: every one not done, then the night's done ones; soonest promise first."""
    now = datetime.now(UTC)
    night = night_of(now, settings.central.home_zone)
    calls, visits = records.open_calls(db), records.visits_to_show(db, night)
    names = _names(db, *calls, *visits)
    return TasksOut(night=night, now=now, calls=[call_out(c, names) for c in calls],
                    visits=[visit_out(v, names, now) for v in visits])

@router.post("/api/visits/{visit_id}/{mark}")
def mark_visit(visit_id: int, mark: service.Mark, body: VisitMarkIn, db: DbDep, staff: CareStaffDep) -> VisitOut:
    """På väg (`on_way`), framme (`arrived`), klar (`done`, with an outcome): each once, in turn."""
    try:
        visit = service.mark_visit(db, visit_id, mark, staff.username, body.outcome, body.note)
    except TaskNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except EscalationError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return visit_out(visit, _names(db, visit), datetime.now(UTC))

@router.post("/api/calls/{call_id}/outcome")
def call_outcome(call_id: int, body: CallOutcomeIn, db: DbDep, staff: CareStaffDep) -> CallDone:
    """Svarade – ok closes the chain; svarade – behöver hjälp and inget svar lead on as the unit's chain says."""
    try:
        call, led_to = service.call_answered(db, call_id, body.outcome, body.note, staff.username)
    except TaskNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except EscalationError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    names = _names(db, call)
    return CallDone(call=call_out(call, names),
                    next_call=call_out(led_to, names) if isinstance(led_to, CallTask) else None,
                    visit=visit_out(led_to, names, datetime.now(UTC)) if isinstance(led_to, VisitTask) else None)

@router.get("/api/visits/figures")
def visit_figures(db: DbDep, settings: SettingsDep, _staff: AnyStaffDep, night: NightQuery = None) -> VisitFigures:
    """One night's visits by cause, cause to arrival (median, 90th percentile), visits past their promise, calls made
    and answered, visits avoided by a digital check-in."""
    now = datetime.now(UTC)
    which = night or night_of(now, settings.central.home_zone)
    return records.figures_of(db, [which], now, relook_after(settings), settings.central.home_zone)

@router.get("/api/escalation/units")
def list_units(db: DbDep, _staff: CareStaffDep) -> list[UnitOut]:
    return [UnitOut(name=name, policy=policy) for name, policy in units.units(db).items()]

@router.get("/api/escalation/units/{name}")
def get_unit(db: DbDep, _staff: CareStaffDep, name: Annotated[str, UnitName]) -> UnitOut:
    policy = units.unit_policy(db, name)
    if policy is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no care unit named {name!r}")
    return UnitOut(name=name, policy=policy)

@router.put("/api/escalation/units/{name}")
def put_unit(body: EscalationPolicy, db: DbDep, staff: NurseAdminDep, name: Annotated[str, UnitName]) -> UnitOut:
    """Set a unit's chain (validated: it ends, it cannot loop, its delays are within bounds); audited."""
    units.set_unit_policy(db, name, body, staff.username)
    return UnitOut(name=name, policy=body)

@router.get("/api/recipients/{recipient_id}/contact")
def get_contact(recipient_id: int, db: DbDep, _staff: CareStaffDep) -> ContactOut:
    found(db, recipient_id)
    contact = units.contact_of(db, recipient_id)
    return ContactOut(recipient_id=recipient_id, phone=contact.phone if contact else "",
                      unit=contact.unit if contact else None)

@router.put("/api/recipients/{recipient_id}/contact")
def put_contact(recipient_id: int, body: ContactIn, db: DbDep, staff: NurseAdminDep) -> ContactOut:
    """The number staff call at night and the care unit whose chain applies; audited."""
    found(db, recipient_id)
    try:
        contact = units.set_contact(db, recipient_id, body.phone.strip(), body.unit, staff.username)
    except EscalationError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    return ContactOut(recipient_id=recipient_id, phone=contact.phone, unit=contact.unit)
