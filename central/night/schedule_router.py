"""A recipient's check-in times, drawn from their consented windows. Changing them is for nurse_admin."""

from __future__ import annotations

from datetime import time

from fastapi import APIRouter, HTTPException, status

from central.dependencies import CareStaffDep, DbDep, NurseAdminDep, found
from central.night import service
from central.night.schemas import ScheduleIn, ScheduleOut

router = APIRouter(prefix="/api/recipients/{recipient_id}/schedule", tags=["schedules"])


def _out(recipient_id: int, times: list[time]) -> ScheduleOut:
    return ScheduleOut(recipient_id=recipient_id, times=[f"{t:%H:%M}" for t in times])


@router.get("")
def get_schedule(recipient_id: int, db: DbDep, _staff: CareStaffDep) -> ScheduleOut:
    found(db, recipient_id)
    return _out(recipient_id, service.schedule_of(db, recipient_id))


@router.put("")
def put_schedule(recipient_id: int, body: ScheduleIn, db: DbDep, staff: NurseAdminDep) -> ScheduleOut:
    """Replace the check-in times; each must lie inside a consented window (else 422 naming the time)."""
    found(db, recipient_id)
    try:
        times = service.set_schedule(db, recipient_id, body.times, staff.username)
    except service.ScheduleError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    return _out(recipient_id, times)
