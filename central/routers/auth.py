"""Log in and out; the session lives server-side, the cookie carries only a random token."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from central import audit_store
from central.dependencies import SESSION_COOKIE, DbDep, SettingsDep, StaffDep
from central.schemas import LoginRequest, StaffOut
from central.staff import authenticate, close_session, open_session

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["auth"])


@router.post("/login")
def login(body: LoginRequest, request: Request, response: Response, db: DbDep, settings: SettingsDep) -> StaffOut:
    staff = authenticate(db, body.username, body.password)
    client = request.client.host if request.client else "?"
    if staff is None:
        log.warning("failed login for %r from %s", body.username, client)
        audit_store.record(db, "login_failed", body.username[:128], None, {"client": client})
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
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
