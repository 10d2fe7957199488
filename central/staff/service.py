"""Staff accounts: creation, password check, login sessions."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from central.db import aware
from central.staff.models import LoginSession, Staff

Role = Literal["night_staff", "nurse_admin", "ops"]
ROLES: tuple[Role, ...] = ("night_staff", "nurse_admin", "ops")

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps timing from telling which part was wrong.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
VERIFY_AT_ONCE = 2
"""At most this many argon2 checks at once (each takes ~64 MiB and a core): a burst of logins queues, not DoS."""
VERIFY_SLOTS = threading.BoundedSemaphore(VERIFY_AT_ONCE)


def upsert_staff(db: Session, username: str, password: str, role: Role, display_name: str = "") -> Staff:
    """Create a staff member, or reset the password and role of an existing one."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; allowed: {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValueError("password must be at least 8 characters")
    staff = db.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        staff = Staff(username=username, created_at=datetime.now(UTC))
        db.add(staff)
    else:  # a reset password (or role) must not leave anyone logged in with the old one
        db.execute(delete(LoginSession).where(LoginSession.staff_id == staff.id))
    staff.role = role
    staff.display_name = display_name or username
    staff.password_hash = _hasher.hash(password)
    db.commit()
    return staff


def authenticate(db: Session, username: str, password: str) -> Staff | None:
    staff = db.scalar(select(Staff).where(Staff.username == username))
    try:
        with VERIFY_SLOTS:
            _hasher.verify(staff.password_hash if staff else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return staff


def token_hash(token: str) -> str:
    """What is stored of a secret token (login session, node): its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db: Session, staff: Staff, hours: float) -> str:
    """Store a new login session and return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    db.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    db.add(LoginSession(token_hash=token_hash(token), staff_id=staff.id, expires_at=now + timedelta(hours=hours)))
    db.commit()
    return token


def staff_for_token(db: Session, token: str) -> Staff | None:
    row = db.get(LoginSession, token_hash(token))
    if row is None:
        return None
    expires = aware(row.expires_at)
    if expires < datetime.now(UTC):
        db.delete(row)
        db.commit()
        return None
    return db.get(Staff, row.staff_id)


def live_tokens(db: Session, tokens: Collection[str]) -> set[str]:
    """Those of `tokens` whose login session is still valid, as `staff_for_token` decides, in one query (the live
    event streams re-check all their logins together before they send)."""
    hashes = {token_hash(token): token for token in tokens}
    if not hashes:
        return set()
    now = datetime.now(UTC)
    rows = db.execute(select(LoginSession.token_hash, LoginSession.expires_at)
                      .join(Staff, Staff.id == LoginSession.staff_id)
                      .where(LoginSession.token_hash.in_(hashes))).all()
    return {hashes[hashed] for hashed, expires in rows if aware(expires) >= now}


def close_session(db: Session, token: str) -> None:
    db.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    db.commit()
