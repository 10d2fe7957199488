"""Log in and out; the session lives server-side, the cookie carries only a random token."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from central.audit import store as audit_store
from central.dependencies import SESSION_COOKIE, DbDep, SettingsDep, StaffDep
from central.staff.lockout import LockoutPolicy, locked_for, record_failure, record_success
from central.staff.schemas import LoginRequest, StaffOut
from central.staff.service import authenticate, close_session, open_session
from nattvakt.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["auth"])


def _policy(settings: Settings) -> LockoutPolicy:
    c = settings.central
    return LockoutPolicy(c.login_lockout_after, timedelta(seconds=c.login_lockout_base_s),
                         timedelta(seconds=c.login_lockout_max_s))


def _locked_out(wait: timedelta) -> HTTPException:
    seconds = max(1, math.ceil(wait.total_seconds()))
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                         f"too many failed logins for this username; try again in {seconds} s",
                         headers={"Retry-After": str(seconds)})


@router.post("/login", responses={429: {"description": "locked out after failed logins"}})
def login(body: LoginRequest, request: Request, response: Response, db: DbDep, settings: SettingsDep) -> StaffOut:
    client = request.client.host if request.client else "?"
    now = datetime.now(UTC)
    wait = locked_for(db, body.username, now)
    if wait:  # not even a right password gets in while locked: guessing must not go on
        audit_store.record(db, "login_locked", body.username[:128], None, {"client": client})
        raise _locked_out(wait)
    staff = authenticate(db, body.username, body.password)
    if staff is None:
        log.warning("failed login for %r from %s", body.username, client)
        lockout = record_failure(db, body.username, now, _policy(settings))
        audit_store.record(db, "login_failed", body.username[:128], None,
                           {"client": client, "lockout_s": lockout.total_seconds()})
        # The failure that starts a lockout says so (Retry-After), so the page can show the pause at once.
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password",
                            headers=_locked_out(lockout).headers if lockout else None)
    record_success(db, body.username)
    token = open_session(db, staff, settings.central.session_hours)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.central.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    log.info("login %s from %s", staff.username, client)
    audit_store.record(db, "login", staff.username, None, {"client": client, "role": staff.role})
    return StaffOut(username=staff.username, display_name=staff.display_name, role=staff.role)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, db: DbDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(close_session, db, token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/me")
def me(staff: StaffDep) -> StaffOut:
    return StaffOut(username=staff.username, display_name=staff.display_name, role=staff.role)
