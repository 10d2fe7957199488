"""Reads the event stream through a consumer group and feeds the console.

Each central instance is a named consumer in the group `console`. An entry stays pending until
staff acknowledge its event, or policy resolves it (`auto_resolves`). On start an instance first
re-reads its own pending entries (a restart rebuilds its feed). Every few seconds it looks for
other instances that have been silent longer than `claim_idle_s` and XCLAIMs their pending
entries. It claims only from silent consumers, per consumer, rather than XAUTOCLAIM over the whole
group: XAUTOCLAIM would also take entries a live instance is holding for its staff to acknowledge.
Entries it cannot read are parked in the dead-letter stream (`central.dead_letters`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from central.dead_letters import DeadLetters
from central.event_feed import EventFeed
from nattvakt.events import Event, EventRejected, Severity, decode_stream_entry

log = logging.getLogger(__name__)

GROUP = "console"
BATCH = 200

StreamEntry = tuple[str, Mapping[str, str] | None]


def auto_resolves(event: Event) -> bool:
    """Policy: an informational event that ended by itself needs no one to acknowledge it."""
    return event.state == "ended" and event.severity <= Severity.INFO


def _entries(reply: Any) -> list[StreamEntry]:
    """XREADGROUP's reply for one stream, as (entry id, fields) pairs (redis-py types it loosely).

    Fields are None for a pending entry that was trimmed from the stream before anyone acknowledged it.
    """
    if not reply:
        return []
    return [(entry_id, fields) for entry_id, fields in reply[0][1]]


class EventConsumer:
    """One task: XREADGROUP as this instance's consumer; XACK when staff (or policy) resolve an event."""

    def __init__(
        self,
        redis: aioredis.Redis,
        stream: str,
        consumer: str,
        feed: EventFeed,
        *,
        claim_idle_s: float = 30.0,
        dead_letters: DeadLetters | None = None,
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._consumer = consumer
        self._feed = feed
        self._claim_idle_ms = int(claim_idle_s * 1000)
        self._claim_every_s = min(max(claim_idle_s / 3, 0.1), 5.0)
        # A live consumer's XINFO idle time grows during a blocking read: keep the block well under claim_idle_s.
        self._block_ms = max(int(min(1.0, self._claim_every_s) * 1000), 50)
        self.dead_letters = dead_letters or DeadLetters(redis, stream, GROUP)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.connected = False
        self.received = 0
        """Entries read (new, re-read or claimed)."""
        self.duplicates = 0
        """Entries whose revision was already shown."""
        self.claimed = 0
        """Entries taken over from silent instances."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="event consumer")
        self._task.add_done_callback(self._on_done)

    @property
    def alive(self) -> bool:
        """False once the consumer task has ended while it was meant to run (a bug; `/healthz` reports it)."""
        return self._task is not None and (not self._task.done() or self._stopping)

    def _on_done(self, task: asyncio.Task[None]) -> None:
        self.connected = False
        if task.cancelled():
            if not self._stopping:
                log.error("event consumer task was cancelled; the console gets no new events")
            return
        exc = task.exception()
        if exc is not None:
            log.error("event consumer task died; the console gets no new events", exc_info=exc)
        elif not self._stopping:
            log.error("event consumer task ended; the console gets no new events")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def ack(self, entry_ids: list[str]) -> int:
        if not entry_ids:
            return 0
        return int(await self._redis.xack(self._stream, GROUP, *entry_ids))

    async def _ensure_group(self) -> None:
        try:
            await self._redis.xgroup_create(self._stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _run(self) -> None:
        backoff = 0.2
        # Loops test `_stopping` as well as relying on cancel(): redis-py can swallow a
        # cancellation that lands in a blocking read, and the XREADGROUP block bounds the wait.
        while not self._stopping:
            try:
                await self._ensure_group()
                # First our own pending entries (after a restart), then new ones.
                await self._read("0")
                self.connected = True
                backoff = 0.2
                next_claim = 0.0
                while not self._stopping:
                    if time.monotonic() >= next_claim:
                        await self._claim_from_silent_instances()
                        next_claim = time.monotonic() + self._claim_every_s
                    await self._read(">")
            except (RedisError, OSError) as exc:
                self.connected = False
                if self._stopping:
                    return
                log.warning("waiting for Redis (event stream %s): %s; retry in %.1f s", self._stream, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def _read(self, start: str) -> None:
        while True:
            block = self._block_ms if start == ">" else None
            reply = await self._redis.xreadgroup(GROUP, self._consumer, {self._stream: start}, count=BATCH, block=block)
            entries = _entries(reply)
            await self._handle_batch(entries)
            if start == ">" or not entries:
                return
            start = entries[-1][0]

    async def _claim_from_silent_instances(self) -> None:
        for info in await self._redis.xinfo_consumers(self._stream, GROUP):
            name, pending, idle = info["name"], int(info["pending"]), int(info["idle"])
            if name == self._consumer or pending == 0 or idle < self._claim_idle_ms:
                continue
            log.warning("claiming %d pending entries of central instance %s, silent for %.1f s",
                        pending, name, idle / 1000)
            while True:
                rows = await self._redis.xpending_range(
                    self._stream, GROUP, min="-", max="+", count=BATCH, consumername=name, idle=self._claim_idle_ms
                )
                if not rows:
                    break
                ids: Any = [row["message_id"] for row in rows]
                claimed: Any = await self._redis.xclaim(
                    self._stream, GROUP, self._consumer, min_idle_time=self._claim_idle_ms, message_ids=ids
                )
                self.claimed += len(claimed)
                if len(claimed) < len(ids):
                    # Another instance claimed them first, or they were trimmed away before anyone acknowledged them.
                    log.warning("%d of %d entries of %s were not claimable", len(ids) - len(claimed), len(ids), name)
                await self._handle_batch(claimed)
                if len(rows) < BATCH:
                    break

    async def _handle_batch(self, entries: list[StreamEntry]) -> None:
        to_ack: list[str] = []
        for entry_id, fields in entries:
            self.received += 1
            to_ack.extend(await self._handle(entry_id, fields))
        await self.ack(to_ack)

    async def _handle(self, entry_id: str, fields: Mapping[str, str] | None) -> list[str]:
        """Show the entry; returns the entry ids that policy lets us acknowledge now."""
        if fields is None:
            await self.dead_letters.park(
                entry_id, {}, "trimmed", "entry left the stream (MAXLEN) before it was acknowledged", self._consumer
            )
            return []
        try:
            event = decode_stream_entry(fields)
        except EventRejected as exc:
            await self.dead_letters.park(entry_id, fields, exc.reason, exc.detail, self._consumer)
            return []
        except Exception as exc:  # a decoder bug must not kill the consumer, nor re-kill it on the same entry
            log.exception("could not decode stream entry %s", entry_id)
            await self.dead_letters.park(entry_id, fields, "internal", f"{type(exc).__name__}: {exc}", self._consumer)
            return []
        if not self._feed.add(entry_id, event):
            self.duplicates += 1
        item = self._feed.get(event.id)
        if item is None:
            return [entry_id]  # a late duplicate of an event that was settled and has left the feed
        if item.entry_ids and (item.acknowledged_by is not None or auto_resolves(item.event)):
            ids = item.entry_ids[:]
            item.entry_ids.clear()
            return ids
        return []
