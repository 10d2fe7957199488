"""Staff logins: list, and create or reset one. For nurse_admin: night staff cannot change users."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from central.audit import store as audit_store
from central.dependencies import DbDep, NurseAdminDep
from central.staff.models import Staff
from central.staff.schemas import StaffEntry, StaffIn
from central.staff.service import upsert_staff

router = APIRouter(prefix="/api/staff", tags=["staff"])


@router.get("")
def list_staff(db: DbDep, _staff: NurseAdminDep) -> list[StaffEntry]:
    return [StaffEntry(username=s.username, display_name=s.display_name, role=s.role)
            for s in db.scalars(select(Staff).order_by(Staff.username))]


@router.put("", status_code=status.HTTP_200_OK)
def save_staff(body: StaffIn, db: DbDep, staff: NurseAdminDep) -> StaffEntry:
    """Create a login, or reset the password and role of an existing one."""
    try:
        saved = upsert_staff(db, body.username, body.password, body.role, body.display_name)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    audit_store.record(db, "staff_saved", staff.username, None, {"username": saved.username, "role": saved.role})
    return StaffEntry(username=saved.username, display_name=saved.display_name, role=saved.role)
