"""Publishes events to the Redis Stream through a durable local spool.

Every event is written to the spool (fsync'ed) before it is sent, and leaves the spool only
after Redis has had it long enough to have written it to its append-only file (`confirm_after_s`,
longer than Redis' `appendfsync everysec`) without restarting in between. If Redis restarted,
the unconfirmed tail is sent again. Each send is idempotent (`nattvakt.bus.idempotent_xadd`),
so a replay does not put a revision on the stream twice.

Per-node order holds across a Redis restart: the client never silently retries on a new connection
(a restarted server would get newer events before the tail it lost), and after any connection error
the unconfirmed tail is resent, from the spool, before anything newer, if the server restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from camera_node.spool import DroppedEvent, Spool, SpooledEvent, SpoolError
from nattvakt.backoff import Backoff
from nattvakt.bus import EntrySigner, idempotent_xadd, publish_once, send_args
from nattvakt.events import Event, Origin, Severity, utc_now
from nattvakt.settings import Settings, SettingsError
from privacy.event_signing import node_event_signer

log = logging.getLogger(__name__)
T = TypeVar("T")

@dataclass(frozen=True, slots=True)
class _SentBatch:
    first_pos: int
    last_pos: int
    sent_at: float
    run_id: str


class EventPublisher:
    """Owns two tasks: one persists submitted events to the spool, one sends the spool to Redis in order."""

    def __init__(
        self,
        redis_url: str,
        stream: str,
        spool: Spool,
        origin: Origin,
        *,
        maxlen: int = 100_000,
        confirm_after_s: float = 2.0,
        batch_size: int = 200,
        max_backoff_s: float = 10.0,
        io: ThreadPoolExecutor | None = None,
        sign: EntrySigner | None = None,
    ) -> None:
        """`io`: the one thread spool calls run on; by default the publisher starts (and stops) its own.
        `sign`: signs each entry as it is sent (the node's key; central parks unsigned entries)."""
        self._sign = sign
        # No automatic retry: a command retried on a fresh connection could reach a restarted Redis unnoticed.
        self._redis = aioredis.from_url(
            redis_url, decode_responses=True, socket_timeout=5, socket_connect_timeout=3, retry=Retry(NoBackoff(), 0)
        )
        self._xadd = idempotent_xadd(self._redis)
        self._redis_url = redis_url
        self._stream = stream
        self._spool = spool
        self._origin = origin
        self._maxlen = maxlen
        self._confirm_after_s = confirm_after_s
        self._batch_size = batch_size
        self._max_backoff_s = max_backoff_s
        self._own_io = io is None
        self._io = io or ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool")
        self._incoming: list[Event] = []
        self._persisted = asyncio.Event()
        self._persisted.set()
        self._persist_wake = asyncio.Event()
        self._send_wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._sent_through = 0
        # Rows just spooled, handed to the sender in memory; until `_ready_valid` it reads the spool file instead
        # (at start, and after a Redis restart, when what it must send is older than what came in lately).
        self._ready: deque[SpooledEvent] = deque()
        self._ready_valid = False
        self._unconfirmed: deque[_SentBatch] = deque()
        self._run_id: str | None = None
        self._alarm: Event | None = None
        self._alarm_dropped = 0
        self.published = 0
        """Revisions this publisher put on the stream."""
        self.duplicates_skipped = 0
        """Revisions Redis already had (a replay after a crash or a Redis restart)."""
        self.dropped = 0
        """Events this publisher's spool dropped because it was full."""

    @property
    def backlog(self) -> int:
        """Events not yet confirmed by Redis (in memory or in the spool)."""
        return len(self._incoming) + len(self._spool)

    def submit(self, event: Event) -> None:
        """Queue an event; it is on disk within milliseconds and sent in submission order."""
        self._incoming.append(event)
        self._persisted.clear()
        self._drained.clear()
        self._persist_wake.set()

    async def persisted(self) -> None:
        """Wait until every event submitted so far is on disk in the spool."""
        await self._persisted.wait()

    async def sent(self) -> None:
        """Wait until every event submitted so far has been handed to Redis (it may still be unconfirmed)."""
        await self._drained.wait()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._persist_loop(), name="event spool writer"),
            asyncio.create_task(self._send_loop(), name="event publisher"),
        ]

    async def stop(self, drain_timeout_s: float = 3.0, persist_timeout_s: float = 10.0) -> None:
        """Give queued events a moment to go out, then stop; whatever is left stays in the spool."""
        if self.backlog:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), drain_timeout_s)
        self._stopping = True
        if self._tasks:
            # The spool writer is let finish rather than cancelled: cancelling it would also cancel a write still
            # queued for the IO thread, and that batch would be neither in the spool nor in memory.
            persist_task, send_task = self._tasks
            send_task.cancel()
            self._persist_wake.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(persist_task), persist_timeout_s)
            persist_task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._incoming:
            batch, self._incoming = self._incoming, []
            await self._last_resort(batch)
        unsent = len(self._spool) - sum(b.last_pos - b.first_pos + 1 for b in self._unconfirmed)
        if unsent > 0:
            log.error(
                "%s: stopping with %d unpublished events kept in the spool %s (Redis unreachable)",
                self._origin.node, unsent, self._spool.path,
            )
        await self._run(self._spool.close)
        if self._own_io:
            self._io.shutdown(wait=True)
        await self._redis.aclose()

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._io, fn, *args)

    async def _persist_loop(self) -> None:
        while True:
            await self._persist_wake.wait()
            self._persist_wake.clear()
            batch, self._incoming = self._incoming, []
            if batch:
                await self._persist(batch)
            if self._stopping and not self._incoming:
                return

    async def _last_resort(self, batch: list[Event]) -> None:
        """At stop, events the spool writer could not take: the spool once more, else straight to Redis."""
        try:
            await self._run(self._spool.append_rows, batch)
            return
        except SpoolError:
            log.exception("%s: cannot spool %d event(s) at stop; sending them directly", self._origin.node, len(batch))
        try:
            for event in batch:
                await publish_once(self._redis, self._xadd, self._stream, event, self._maxlen, self._sign)
        except (RedisError, OSError):
            log.critical("%s: LOST %d event(s): neither the spool nor Redis took them at stop: %s",
                         self._origin.node, len(batch), ", ".join(f"{e.kind}/{e.id}" for e in batch))

    async def _persist(self, batch: list[Event]) -> None:
        try:
            stored, dropped = await self._run(self._spool.append_rows, batch)
        except asyncio.CancelledError:
            # The write may never run (cancelled while queued): keep the batch; the spool ignores a revision twice.
            self._incoming[:0] = batch
            raise
        except SpoolError:  # a broken disk must not kill the node: the events stay queued in memory
            log.exception("%s: cannot spool %d event(s); keeping them in memory", self._origin.node, len(batch))
            self._incoming[:0] = batch
            await asyncio.sleep(1.0)
            self._persist_wake.set()
            return
        self._ready.extend(stored)
        if not self._incoming:
            self._persisted.set()
        self._send_wake.set()
        if dropped:
            gone = {(d.event_id, d.seq) for d in dropped}
            self._ready = deque(row for row in self._ready if (row.event_id, row.seq) not in gone)
            self._on_dropped(dropped)

    def _on_dropped(self, dropped: list[DroppedEvent]) -> None:
        """Spool overflow is itself an alarm: one HIGH event per episode, ended with the total once drained."""
        self.dropped += len(dropped)
        self._alarm_dropped += len(dropped)
        log.error(
            "%s: event spool full; dropped %d event(s) (%s), %d in this outage",
            self._origin.node, len(dropped), ", ".join(f"{d.kind}/{Severity(d.severity).name}" for d in dropped),
            self._alarm_dropped,
        )
        if self._alarm is None:
            self._alarm = Event(
                node=self._origin.node, room=self._origin.room, recipient=self._origin.recipient,
                kind="events_dropped", severity=Severity.HIGH,
                details={"dropped": self._alarm_dropped, "reason": "spool full while Redis was unreachable"},
            )
            self.submit(self._alarm)

    def _end_alarm(self) -> None:
        if self._alarm is None:
            return
        ended = self._alarm.model_copy(
            update={"state": "ended", "seq": 1, "ended_at": utc_now(), "details": {
                **self._alarm.details, "dropped": self._alarm_dropped,
            }}
        )
        self._alarm, self._alarm_dropped = None, 0
        self.submit(ended)

    async def _send_loop(self) -> None:
        retry = Backoff(0.2, max(self._max_backoff_s, 0.2))
        while True:
            try:
                await self._confirm()
                rows = await self._next_rows()
                if rows:
                    await self._send(rows)
                    retry.reset()
                    continue
            except (RedisError, OSError) as exc:
                if self._stopping:  # redis-py can turn a cancellation mid-connect into a ConnectionError
                    return
                self._run_id = None
                self._ready_valid = False  # the rows taken for this send are still in the file: read them from there
                delay = retry.next()
                log.warning(
                    "%s: waiting for Redis at %s to publish %d event(s): %s; retry in %.1f s",
                    self._origin.node, self._redis_url, self.backlog, exc, delay,
                )
                await asyncio.sleep(delay)
                continue
            if self._persisted.is_set():
                self._drained.set()
                if not self._unconfirmed:
                    self._end_alarm()
            timeout = self._confirm_after_s if self._unconfirmed else None
            self._send_wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._send_wake.wait(), timeout)

    async def _next_rows(self) -> list[SpooledEvent]:
        while self._ready and self._ready[0].pos <= self._sent_through:
            self._ready.popleft()
        if not self._ready_valid:
            rows = await self._run(self._spool.read, self._sent_through, self._batch_size)
            if rows:
                return rows
            self._ready_valid = True  # caught up with the file: from now on new rows come from memory
        return [self._ready.popleft() for _ in range(min(self._batch_size, len(self._ready)))]

    async def _send(self, rows: list[SpooledEvent]) -> None:
        if self._run_id is None:
            self._run_id = await self._server_run_id()
        async with self._redis.pipeline(transaction=False) as pipe:
            for row in rows:
                await self._xadd(
                    **send_args(self._stream, row.event_id, row.seq, row.version, row.body, self._maxlen, self._sign),
                    client=pipe,
                )
            results = await pipe.execute()
        self._unconfirmed.append(_SentBatch(rows[0].pos, rows[-1].pos, time.monotonic(), self._run_id))
        self._sent_through = rows[-1].pos
        added = sum(1 for result in results if result)
        self.published += added
        self.duplicates_skipped += len(results) - added
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s: published %d, %d already on the stream", self._origin.node, added, len(rows) - added)

    async def _confirm(self) -> None:
        """Drop from the spool what Redis has surely persisted; resend what a Redis restart may have lost.

        Checked at once after a connection error (`_run_id` is None), before anything newer is sent: a restarted
        Redis must get the tail it lost first, or the node's events would reach the stream out of order.
        """
        if not self._unconfirmed:
            return
        reconnected = self._run_id is None
        if not reconnected and time.monotonic() - self._unconfirmed[0].sent_at < self._confirm_after_s:
            return
        run_id = await self._server_run_id()
        if reconnected:
            self._run_id = run_id
        if any(batch.run_id != run_id for batch in self._unconfirmed):
            log.warning("%s: Redis restarted; sending the last %d unconfirmed batch(es) again",
                        self._origin.node, len(self._unconfirmed))
            self._sent_through = self._unconfirmed[0].first_pos - 1
            self._unconfirmed.clear()
            self._ready_valid = False
            self._run_id = run_id
            return
        deadline = time.monotonic() - self._confirm_after_s
        last = None
        while self._unconfirmed and self._unconfirmed[0].sent_at <= deadline:
            last = self._unconfirmed.popleft().last_pos
        if last is not None:
            await self._run(self._spool.remove_through, last)

    async def _server_run_id(self) -> str:
        info = await self._redis.info("server")
        return str(info["run_id"])



def open_publisher(settings: Settings) -> EventPublisher:
    """The node's publisher with its spool under `settings.data_dir` (one file per node id), signing every event."""
    cfg = settings.node
    signer = node_event_signer(settings)
    if signer is None:
        raise SettingsError("no event-signing key: set NATTVAKT_NODE__EVENT_KEY (`nattvakt consent node-key "
                             f"{cfg.node_id} --events` on central); central refuses unsigned events")
    spool = Spool(settings.data_dir / f"spool-{cfg.node_id}.sqlite3", cfg.spool_max_events)
    return EventPublisher(
        settings.redis_url_or_default(), settings.events_stream, spool, Origin(cfg.node_id, cfg.room, cfg.recipient),
        maxlen=settings.events_retention, sign=signer,
    )
