"""Log in and out; the session lives server-side, the cookie carries only a random token."""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from central.audit import store as audit_store
from central.dependencies import SESSION_COOKIE, DbDep, SettingsDep, StaffDep
from central.staff.admission import LoginAdmission, LoginRefused
from central.staff.lockout import LockoutPolicy
from central.staff.login import LoginOutcome, attempt_login
from central.staff.schemas import LoginRequest, StaffOut
from central.staff.service import close_session
from nattvakt.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["auth"])


def _policy(settings: Settings) -> LockoutPolicy:
    c = settings.central
    return LockoutPolicy(c.login_lockout_after, timedelta(seconds=c.login_lockout_base_s),
                         timedelta(seconds=c.login_lockout_max_s))


def _retry_later(why: str, seconds: int) -> HTTPException:
    """429 with the wait in words and in Retry-After (the login page counts it down)."""
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, f"{why}; try again in {seconds} s",
                         headers={"Retry-After": str(seconds)})


def _locked_out(wait: timedelta) -> HTTPException:
    return _retry_later("too many failed logins for this username", max(1, math.ceil(wait.total_seconds())))


@router.post("/login", responses={429: {"description": "locked out after failed logins, or too many attempts"}})
async def login(body: LoginRequest, request: Request, response: Response, settings: SettingsDep) -> StaffOut:
    """Admitted first (per-address limit, login queue: `central.staff.admission`), then checked on a login thread."""
    client = request.client.host if request.client else "?"
    sessions = request.app.state.sessionmaker
    admission: LoginAdmission = request.app.state.login_admission

    def attempt() -> LoginOutcome:
        with sessions() as db:
            return attempt_login(db, body.username, body.password, client, _policy(settings),
                                 settings.central.session_hours)

    try:
        outcome = await admission.run(client, attempt)
    except LoginRefused as refused:
        if refused.first:
            log.warning("login attempts from %s refused: %s", client, refused.why)
            await run_in_threadpool(_audit_refusal, sessions, client, refused)
        raise _retry_later(refused.why, refused.wait_s) from None
    if outcome.locked:
        raise _locked_out(outcome.locked)
    if outcome.token is None:
        # The failure that starts a lockout says so (Retry-After), so the page can show the pause at once.
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password",
                            headers=_locked_out(outcome.lockout).headers if outcome.lockout else None)
    response.set_cookie(
        SESSION_COOKIE,
        outcome.token,
        max_age=int(settings.central.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return StaffOut(username=outcome.username, display_name=outcome.display_name, role=outcome.role)


def _audit_refusal(sessions: sessionmaker[Session], client: str, refused: LoginRefused) -> None:
    with sessions() as db:
        audit_store.record(db, "login_throttled", client[:128], None, {"client": client, "why": refused.why,
                                                                      "wait_s": refused.wait_s})


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
