"""The visits' watch: a fall or a camera out sends the patrol at once; a visit past its promise raises an alarm.

Both ride on what exists: events come from the console's feed (every instance sees every event, and a visit is
made once per event), and the overdue alarm is an ordinary HIGH `visit_overdue` event on the event stream, so it
reaches every console, waits for staff and is acknowledged like any other. Its id is derived from the visit, so
instances that notice it together raise it once (the idempotent XADD); the patrol's arrival ends it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from central.db import aware
from central.events.feed import EventFeed, FeedItem
from central.visits import records, service
from central.visits.models import VisitTask
from nattvakt.bus import idempotent_xadd, publish_once
from nattvakt.events import Event, Severity, deterministic_event_id

log = logging.getLogger(__name__)
CENTRAL_NODE = "central"
"""The node named on an alarm for a room without a camera node."""


def overdue_event(visit: VisitTask, node: str | None) -> Event:
    """The alarm for one late visit: room, kind, time; no name (it is shown and forwarded as it is)."""
    promise_at = aware(visit.promise_at)
    return Event(
        id=deterministic_event_id(int(promise_at.timestamp() * 1000), f"visit_overdue:{visit.id}"),
        node=node or CENTRAL_NODE, room=(visit.room or "?")[:64], kind="visit_overdue", severity=Severity.HIGH,
        started_at=promise_at,
        details={"visit_id": visit.id, "cause": visit.cause, "promise_min": visit.promise_min},
    )


class VisitWatch:
    """Owns two tasks: one reads the feed for events that need a visit, one checks promises every `every_s`."""

    def __init__(self, sessions: sessionmaker[Session], feed: EventFeed, redis: aioredis.Redis, stream: str,
                 maxlen: int, every_s: float) -> None:
        self._sessions = sessions
        self._feed = feed
        self._redis = redis
        self._stream = stream
        self._maxlen = maxlen
        self._every_s = every_s
        self._xadd = idempotent_xadd(redis)
        self._tasks: list[asyncio.Task[None]] = []
        self.raised = 0

    def start(self) -> None:
        queue = self._feed.subscribe()
        self._tasks = [asyncio.create_task(self._listen(queue), name="visit watch: events"),
                       asyncio.create_task(self._promises(), name="visit watch: promises")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _event_seen(self, event: Event) -> None:
        with self._sessions() as db:
            visit = service.event_seen(db, event, datetime.now(UTC))
            if visit is not None:
                log.info("visit %s for %s in room %s", visit.id, event.kind, event.room)

    async def _listen(self, queue: asyncio.Queue[FeedItem]) -> None:
        try:
            while True:
                item = await queue.get()
                if item.event.kind not in service.EVENT_CAUSES:
                    continue
                try:
                    await asyncio.to_thread(self._event_seen, item.event)
                except SQLAlchemyError as exc:  # the store is away: the event stays on the console meanwhile
                    log.error("cannot make the visit for event %s: %s", item.event.id, exc)
                except Exception:  # boundary: one bad event must not stop the watch over the others
                    log.exception("cannot make the visit for event %s", item.event.id)
        finally:
            self._feed.unsubscribe(queue)

    def _due(self) -> tuple[list[Event], list[tuple[int, Event]]]:
        """Alarms to raise and alarms to end, as of now."""
        with self._sessions() as db:
            late = [overdue_event(v, records.node_of(db, v.recipient_id))
                    for v in records.overdue_to_raise(db, datetime.now(UTC))]
            ended = []
            for v in records.overdue_to_end(db):
                opened = Event.model_validate_json(v.overdue_event or "")
                ended.append((v.id, opened.model_copy(update={
                    "state": "ended", "seq": opened.seq + 1, "ended_at": aware(v.arrived_at or datetime.now(UTC))})))
        return late, ended

    def _remember(self, visit_id: int, event: Event) -> None:
        with self._sessions() as db:
            records.remember_alarm(db, visit_id, event)

    async def check(self) -> None:
        """One pass: raise what is late, end what the patrol has reached."""
        late, ended = await asyncio.to_thread(self._due)
        for event in late:
            if await publish_once(self._redis, self._xadd, self._stream, event, self._maxlen):
                self.raised += 1
                log.error("visit %s to room %s is past its promise", event.details["visit_id"], event.room)
            await asyncio.to_thread(self._remember, int(event.details["visit_id"]), event)
        for visit_id, event in ended:
            await publish_once(self._redis, self._xadd, self._stream, event, self._maxlen)
            await asyncio.to_thread(self._remember, visit_id, event)

    async def _promises(self) -> None:
        while True:
            try:
                await self.check()
            except (RedisError, OSError, SQLAlchemyError) as exc:
                log.warning("visit watch waiting for the store or the bus: %s", exc)
            except Exception:  # a bug must not end the watch: a dead watch would never raise a late visit
                log.exception("visit watch check failed; trying again")
            await asyncio.sleep(self._every_s)
