"""Request-scoped dependencies: settings, database session, the logged-in staff member."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from central.consumer import EventConsumer
from central.event_feed import EventFeed
from central.models import Staff
from central.staff import staff_for_token
from nattvakt.settings import Settings

SESSION_COOKIE = "nattvakt_session"


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as db:
        yield db


def get_feed(request: Request) -> EventFeed:
    feed: EventFeed = request.app.state.feed
    return feed


def get_consumer(request: Request) -> EventConsumer:
    consumer: EventConsumer = request.app.state.consumer
    return consumer


def current_staff(request: Request, db: Annotated[Session, Depends(get_db)]) -> Staff:
    token = request.cookies.get(SESSION_COOKIE)
    staff = staff_for_token(db, token) if token else None
    if staff is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not logged in, or the session has expired")
    return staff


class RoleCheck:
    """Lets through only a logged-in staff member with one of `roles` (else 403); `roles` is kept for audits."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        self.roles = roles

    def __call__(self, staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
        if staff.role not in self.roles:
            wanted = " or ".join(map(repr, self.roles))
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the role {wanted}; yours is {staff.role!r}")
        return staff


def require_role(*roles: str) -> Callable[..., Staff]:
    """A dependency that lets through only a logged-in staff member with one of `roles` (else 403)."""
    return RoleCheck(roles)


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Session, Depends(get_db)]
FeedDep = Annotated[EventFeed, Depends(get_feed)]
ConsumerDep = Annotated[EventConsumer, Depends(get_consumer)]
StaffDep = Annotated[Staff, Depends(current_staff)]
OpsStaffDep = Annotated[Staff, Depends(require_role("ops"))]
