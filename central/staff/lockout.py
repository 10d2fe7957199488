"""Lockout with backoff after failed logins, per username, shared by every central instance through the store.

Unknown usernames are counted and locked like real ones, so a lockout says nothing about who has an account.
The lockout grows (doubling) rather than lasting for good, so an attacker cannot lock the night shift out all night.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from central.db import aware
from central.staff.models import LoginAttempt


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    after: int
    """Failures in a row before the first lockout."""
    base: timedelta
    """Length of the first lockout."""
    cap: timedelta
    """Longest lockout."""


def lockout_for(failures: int, policy: LockoutPolicy) -> timedelta:
    """How long a username is locked after `failures` failures in a row (zero below the threshold)."""
    if failures < policy.after:
        return timedelta(0)
    doublings = min(failures - policy.after, 30)  # 2**30 × any base is far past any cap
    return min(policy.base * (1 << doublings), policy.cap)




def locked_for(db: Session, username: str, now: datetime) -> timedelta:
    """Time left on the username's lockout (zero when it may try)."""
    row = db.get(LoginAttempt, username)
    if row is None or row.locked_until is None:
        return timedelta(0)
    return max(aware(row.locked_until) - now, timedelta(0))


def record_failure(db: Session, username: str, now: datetime, policy: LockoutPolicy) -> timedelta:
    """Count a failed login and return the lockout it earns (zero when none yet)."""
    row = db.get(LoginAttempt, username)
    if row is None:
        row = LoginAttempt(username=username, failures=0, last_failure_at=now)
        db.add(row)
    row.failures += 1
    row.last_failure_at = now
    lockout = lockout_for(row.failures, policy)
    row.locked_until = now + lockout if lockout else None
    db.commit()
    return lockout


def record_success(db: Session, username: str) -> None:
    row = db.get(LoginAttempt, username)
    if row is not None:
        db.delete(row)
        db.commit()
