"""Request-scoped dependencies and shared request parameters of every feature's router.

Routers take what they share from here (the logged-in staff member and their role, the app's long-lived
objects, a recipient that must exist), never from another router.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, status
from sqlalchemy.orm import Session

from central.consent import service as consent_service
from central.consent.copies import ConsentCopies
from central.consent.models import Recipient
from central.events.consumer import EventConsumer
from central.events.feed import EventFeed
from central.staff.models import Staff
from central.staff.service import staff_for_token
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


def get_consent_copies(request: Request) -> ConsentCopies:
    copies: ConsentCopies = request.app.state.consent_copies
    return copies


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


def found(db: Session, recipient_id: int) -> Recipient:
    """The recipient the request names, else 404."""
    try:
        return consent_service.get_recipient(db, recipient_id)
    except consent_service.NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Session, Depends(get_db)]
FeedDep = Annotated[EventFeed, Depends(get_feed)]
ConsumerDep = Annotated[EventConsumer, Depends(get_consumer)]
CopiesDep = Annotated[ConsentCopies, Depends(get_consent_copies)]
StaffDep = Annotated[Staff, Depends(current_staff)]
OpsStaffDep = Annotated[Staff, Depends(require_role("ops"))]
NurseAdminDep = Annotated[Staff, Depends(require_role("nurse_admin"))]
"""May change consent, recipients and nodes."""
CARE_ROLES = ("night_staff", "nurse_admin")
CareStaffDep = Annotated[Staff, Depends(require_role(*CARE_ROLES))]
"""May read consent and tonight's check-ins, ask for a look-in, and pause on a recipient's behalf."""
AnyStaffDep = Annotated[Staff, Depends(require_role("night_staff", "nurse_admin", "ops"))]

EventId = Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")
NightQuery = Annotated[date | None, Query(description="local date the night begins; default: the current night")]
LangQuery = Annotated[str, Query(pattern="^(sv|en)$")]
