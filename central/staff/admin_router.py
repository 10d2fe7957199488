"""Staff logins: list, and create or reset one. For nurse_admin: night staff cannot change users."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from central.audit import store as audit_store
from central.dependencies import DbDep, NurseAdminDep
from central.staff import admin
from central.staff.models import Staff
from central.staff.schemas import PasswordOut, StaffEdit, StaffEntry, StaffIn
from central.staff.service import upsert_staff

router = APIRouter(prefix="/api/staff", tags=["staff"])


@router.get("")
def list_staff(db: DbDep, _staff: NurseAdminDep) -> list[StaffEntry]:
    return [StaffEntry(username=s.username, display_name=s.display_name, role=s.role, active=s.active)
            for s in db.scalars(select(Staff).order_by(Staff.username))]


@router.put("", status_code=status.HTTP_200_OK)
def save_staff(body: StaffIn, db: DbDep, staff: NurseAdminDep) -> StaffEntry:
    """Create a login, or reset the password and role of an existing one."""
    existing = db.scalar(select(Staff).where(Staff.username == body.username))
    try:
        if existing is not None:
            admin.keeps_an_admin(db, existing, staff.username, body.role, True)
    except admin.StaffAdminError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    try:
        saved = upsert_staff(db, body.username, body.password, body.role, body.display_name)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    if not saved.active:  # a new password brings a deactivated member back
        saved.active = True
        db.commit()
    audit_store.record(db, "staff_saved", staff.username, None, {"username": saved.username, "role": saved.role})
    return StaffEntry(username=saved.username, display_name=saved.display_name, role=saved.role, active=saved.active)


@router.patch("/{username}")
def change_staff(username: str, body: StaffEdit, db: DbDep, staff: NurseAdminDep) -> StaffEntry:
    """Change a member's role or name, or deactivate them (their sessions end at once); 409 when it would leave the
    home without an active nurse_admin or take away the caller's own admin role."""
    try:
        saved = admin.change_staff(db, username, staff.username, role=body.role, display_name=body.display_name,
                                   active=body.active)
    except admin.StaffAdminError as exc:
        unknown = str(exc).startswith("username:")
        raise HTTPException(status.HTTP_404_NOT_FOUND if unknown else status.HTTP_409_CONFLICT, str(exc)) from exc
    return StaffEntry(username=saved.username, display_name=saved.display_name, role=saved.role, active=saved.active)


@router.post("/{username}/password", status_code=status.HTTP_201_CREATED)
def reset_password(username: str, db: DbDep, staff: NurseAdminDep) -> PasswordOut:
    """A new password, shown once; it also reactivates a deactivated member."""
    try:
        return PasswordOut(username=username, password=admin.reset_password(db, username, staff.username))
    except admin.StaffAdminError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
