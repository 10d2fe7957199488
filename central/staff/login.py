"""One login attempt against the store: lockout, password check, session, audit (blocking; runs on a login thread)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from central.audit import store as audit_store
from central.staff.lockout import LockoutPolicy, locked_for, record_failure, record_success
from central.staff.service import authenticate, open_session

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """What an attempt came to: a session token and who, or a refusal (`locked`: still locked; `lockout`: earned)."""

    token: str | None = None
    username: str = ""
    display_name: str = ""
    role: str = ""
    locked: timedelta = timedelta(0)
    lockout: timedelta = timedelta(0)


def attempt_login(db: Session, username: str, password: str, client: str, policy: LockoutPolicy,
                  session_hours: float) -> LoginOutcome:
    now = datetime.now(UTC)
    wait = locked_for(db, username, now)
    if wait:  # not even a right password gets in while locked: guessing must not go on
        audit_store.record(db, "login_locked", username[:128], None, {"client": client})
        return LoginOutcome(locked=wait)
    staff = authenticate(db, username, password)
    if staff is None:
        log.warning("failed login for %r from %s", username, client)
        lockout = record_failure(db, username, now, policy)
        audit_store.record(db, "login_failed", username[:128], None,
                           {"client": client, "lockout_s": lockout.total_seconds()})
        return LoginOutcome(lockout=lockout)
    record_success(db, username)
    token = open_session(db, staff, session_hours)
    log.info("login %s from %s", staff.username, client)
    audit_store.record(db, "login", staff.username, None, {"client": client, "role": staff.role})
    return LoginOutcome(token, staff.username, staff.display_name, staff.role)
