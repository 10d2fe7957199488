"""Staff administration beyond create-or-reset (`service.upsert_staff`): role changes, password resets shown once,
deactivation. A nurse_admin cannot take away their own admin role (nor deactivate themselves), and the home always
keeps one active nurse_admin, so nobody can lock the home out of its own administration."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from central.audit.store import append, commit_with_retry
from central.errors import CentralError
from central.staff.models import LoginSession, Staff
from central.staff.service import ROLES, Role, upsert_staff

ADMIN: Role = "nurse_admin"


class StaffAdminError(CentralError, ValueError):
    """A change to a staff member that is not allowed (an admin removing their own admin role, an unknown member)."""


def _member(db: Session, username: str) -> Staff:
    staff = db.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        raise StaffAdminError(f"username: no staff member {username!r}")
    return staff


def keeps_an_admin(db: Session, staff: Staff, actor: str, role: str, active: bool) -> None:
    """Raise when the change would take away the actor's own admin role or the home's last active admin."""
    if staff.role != ADMIN or (role == ADMIN and active):
        return
    if staff.username == actor:
        raise StaffAdminError("role: you cannot remove your own admin role or deactivate yourself; ask another admin")
    admins = db.scalar(select(func.count()).select_from(Staff).where(Staff.role == ADMIN, Staff.active.is_(True)))
    if (admins or 0) <= 1:
        raise StaffAdminError("role: the home must keep one active nurse_admin")


def change_staff(db: Session, username: str, actor: str, *, role: Role | None = None,
                 display_name: str | None = None, active: bool | None = None) -> Staff:
    """Set a member's role, name or whether they may log in; deactivating closes their sessions at once."""
    staff = _member(db, username)
    new_role, new_active = role or staff.role, staff.active if active is None else active
    if new_role not in ROLES:
        raise StaffAdminError(f"role: unknown role {new_role!r}; allowed: {', '.join(ROLES)}")
    keeps_an_admin(db, staff, actor, new_role, new_active)

    def work(s: Session) -> Staff:
        member = _member(s, username)
        if new_role != member.role or not new_active:  # a changed role or a deactivation: log in again, or never
            s.execute(delete(LoginSession).where(LoginSession.staff_id == member.id))
        if not new_active and member.active:
            member.password_hash = "deactivated:" + secrets.token_hex(16)  # no password matches it
        member.role, member.active = new_role, new_active
        if display_name is not None:
            member.display_name = display_name or member.username
        append(s, "staff_changed", actor, None, {"username": username, "role": new_role, "active": new_active})
        return member

    return commit_with_retry(db, work)


def reset_password(db: Session, username: str, actor: str) -> str:
    """A new random password (shown once) that also reactivates the member; their old sessions end."""
    staff = _member(db, username)
    password = secrets.token_urlsafe(12)
    upsert_staff(db, username, password, staff.role, staff.display_name)  # type: ignore[arg-type]

    def work(s: Session) -> None:
        _member(s, username).active = True
        append(s, "staff_password_reset", actor, None, {"username": username})

    commit_with_retry(db, work)
    return password
