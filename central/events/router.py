"""The live event feed: list, server-sent stream, acknowledge."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, ServerSentEvent
from sqlalchemy.orm import Session, sessionmaker

from central.consent.live import ConsentNews
from central.dependencies import (
    CARE_ROLES,
    SESSION_COOKIE,
    CareStaffDep,
    ConsumerDep,
    DbDep,
    FeedDep,
    RoleCheck,
    current_staff,
)
from central.events.bus_state import BusState, bus_state
from central.events.feed import EventFeed, FeedItem, needs_acknowledgement
from central.events.schemas import FeedEntry
from central.lookins.offer import offer_now
from central.staff.service import staff_for_token

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/events", tags=["events"])

EventId = Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")

STREAM_ROLES = CARE_ROLES
"""Who may follow the live feed: the roles of `CareStaffDep`."""
SESSION_RECHECK_S = 30.0
"""A quiet stream re-checks its login this often; a busy one before every event it sends."""
BUS_BEAT_S = 2.0
"""A quiet stream says how the bus is this often: the page's sign of life from central (it waits a few beats)."""


def _entry(item: FeedItem) -> FeedEntry:
    return FeedEntry(event=item.event, acknowledged_by=item.acknowledged_by,
                     needs_acknowledgement=needs_acknowledgement(item.event))


def _offered(db: Session, feed: EventFeed, item: FeedItem) -> FeedEntry:
    """The entry with whether consent allows a look-in on it now (the page offers "Titta in" only then)."""
    return FeedEntry(event=item.event, acknowledged_by=item.acknowledged_by,
                     needs_acknowledgement=needs_acknowledgement(item.event),
                     lookin=offer_now(db, feed, event_id=item.event.id))


@router.get("")
def list_events(feed: FeedDep, db: DbDep, _staff: CareStaffDep) -> list[FeedEntry]:
    """Recent events, newest first, each with whether a look-in on it is allowed now."""
    return [_offered(db, feed, item) for item in feed.recent()]


def _logged_in(sessions: sessionmaker[Session], token: str) -> str | None:
    """The role of a still-valid login session, else None; uses its own short database session."""
    with sessions() as db:
        staff = staff_for_token(db, token)
        return staff.role if staff is not None else None


def _streamed(sessions: sessionmaker[Session], feed: EventFeed, item: FeedItem) -> FeedEntry:
    with sessions() as db:
        return _offered(db, feed, item)


def stream_login(request: Request) -> str:
    """Check the login once, without a database session that would live as long as the stream does."""
    with request.app.state.sessionmaker() as db:
        RoleCheck(STREAM_ROLES)(current_staff(request, db))
    return request.cookies[SESSION_COOKIE]


@router.get("/stream", response_class=EventSourceResponse)
async def stream_events(
    request: Request, feed: FeedDep, consumer: ConsumerDep, token: Annotated[str, Depends(stream_login)]
) -> AsyncIterator[ServerSentEvent]:
    """Each new or changed event as it arrives (server-sent events), while the login session lasts.

    A `consent` event says consent changed somewhere (reload what it decides). Between events, a `bus` event every
    `BUS_BEAT_S` (and at once when it changes) says whether alarms can reach this central; a page that hears nothing
    for longer knows it has lost central. Ends with a `session_ended` event once the session is logged out, expired,
    or its password reset.
    """
    sessions = request.app.state.sessionmaker
    news: ConsentNews = request.app.state.consent_news
    loop = asyncio.get_running_loop()
    queue = feed.subscribe()
    getter: asyncio.Task[FeedItem] | None = None
    try:
        sent = bus_state(consumer)
        yield _bus_event(sent)
        told = news.version
        next_check = loop.time() + SESSION_RECHECK_S
        while True:
            # The pending get survives a round that ended for another reason: no item is lost.
            getter = getter or asyncio.ensure_future(queue.get())
            heard = asyncio.ensure_future(news.after(told))
            done, _ = await asyncio.wait({getter, heard}, timeout=BUS_BEAT_S, return_when=asyncio.FIRST_COMPLETED)
            heard.cancel()
            item: FeedItem | None = None
            if getter in done:
                item, getter = getter.result(), None
            if item is not None or heard in done or loop.time() >= next_check:
                if await run_in_threadpool(_logged_in, sessions, token) is None:
                    yield ServerSentEvent(data={"reason": "logged_out"}, event="session_ended")
                    return
                next_check = loop.time() + SESSION_RECHECK_S
            if item is not None:
                entry = await run_in_threadpool(_streamed, sessions, feed, item)
                yield ServerSentEvent(data=entry.model_dump(mode="json"), event="event", id=item.event.id)
            if news.version != told:
                told = news.version
                yield ServerSentEvent(data={"version": told}, event="consent")
            state = bus_state(consumer)
            if item is None or state != sent:
                sent = state
                yield _bus_event(state)
    finally:
        if getter is not None:
            getter.cancel()
        feed.unsubscribe(queue)


def _bus_event(state: BusState) -> ServerSentEvent:
    return ServerSentEvent(data=state.model_dump(mode="json"), event="bus")


@router.post("/{event_id}/ack")
async def acknowledge(
    event_id: str = EventId, *, feed: FeedDep, consumer: ConsumerDep, staff: CareStaffDep
) -> FeedEntry:
    """Staff have seen and acted on the event: only now is it acknowledged on the stream."""
    if feed.get(event_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no recent event with id {event_id!r}")
    # Shared in Redis: of two staff pressing at once, on one instance or two, exactly one is recorded;
    # the other gets the event as it is, acknowledged by the first.
    item, won = await consumer.acknowledge(event_id, staff.username)
    if item is None:  # evicted meanwhile (it was settled already)
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no recent event with id {event_id!r}")
    if won:
        log.info("event %s (%s) acknowledged by %s", event_id, item.event.kind, staff.username)
    return _entry(item)
