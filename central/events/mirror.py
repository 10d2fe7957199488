"""Mirrors the whole event stream into this instance's feed, so every console shows every event once.

With several central instances the consumer group splits the entries between them, so each console would see only
its share. The mirror reads the stream itself (XRANGE up to the group's last delivered entry, so nothing is shown
before the group has it pending) and follows the acknowledgements that all instances share in Redis
(`central.events.acks`): every console shows the same acknowledged state. XACK is group-wide, so whichever instance
sees an event settled acknowledges the entries of it that it knows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from central.events.acks import AckState
from central.events.feed import EventFeed, entry_position, take_settled
from central.events.group import BATCH, GROUP, GroupReader, StreamEntry
from nattvakt.backoff import Backoff

log = logging.getLogger(__name__)

MIRROR_BLOCK_MS = 50
"""The mirror's pace: it waits this long for acknowledgement notices between looks at the stream."""


class StreamMirror:
    """Shows other instances' share of the stream, and every acknowledgement, in this instance's feed."""

    def __init__(
        self, redis: aioredis.Redis, stream: str, consumer: str, feed: EventFeed, acks: AckState, reader: GroupReader
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._consumer = consumer
        self._feed = feed
        self.acks = acks
        self._reader = reader
        self.stopping = False

    async def run(self) -> None:
        """Show every instance's share of the stream, and every acknowledgement, in this instance's feed."""
        retry = Backoff(0.2, 10.0)
        started = False
        shown_through = notices_after = "0-0"
        while not self.stopping:
            try:
                if not started:
                    last_look = time.monotonic()
                    notices_after = await self.acks.last_notice_id()  # before the snapshot: no notice falls between
                    shown_through = await self._mirror_snapshot()
                    started = True
                retry.reset()
                while not self.stopping:
                    for notice in await self.acks.notices(notices_after, MIRROR_BLOCK_MS):
                        notices_after = notice.entry_id
                        item = self._feed.acknowledge(notice.event_id, notice.by)
                        if item is not None:
                            await self._reader.settle(item)
                    look = time.monotonic()
                    delivered, others_idle_ms = await self._delivery_state()
                    # Entries up to `delivered` that arrived since the last look went to a consumer that has
                    # read since then; when every other consumer has been idle longer, they all came to us.
                    window_ms = (time.monotonic() - last_look) * 1000 + 500
                    if any(idle <= window_ms for idle in others_idle_ms):
                        shown_through = await self._mirror_through(shown_through, delivered)
                    else:
                        shown_through = delivered
                    last_look = look
            except (RedisError, OSError) as exc:
                if self.stopping:
                    return
                delay = retry.next()
                log.warning("event mirror waiting for Redis: %s; retry in %.1f s", exc, delay)
                await asyncio.sleep(delay)

    async def _delivery_state(self) -> tuple[str, list[int]]:
        """The group's last delivered entry, then how long each other consumer has been idle (ms), in that order."""
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.xinfo_groups(self._stream)
                pipe.xinfo_consumers(self._stream, GROUP)
                groups, consumers = await pipe.execute()
        except ResponseError:  # no stream or no group yet: nothing delivered
            return "0-0", []
        delivered = next((str(g["last-delivered-id"]) for g in groups if g["name"] == GROUP), "0-0")
        return delivered, [int(c["idle"]) for c in consumers if c["name"] != self._consumer]

    async def _last_delivered(self) -> str:
        """The newest entry the group has handed to any instance ("0-0" before the group exists)."""
        try:
            groups: Any = await self._redis.xinfo_groups(self._stream)
        except ResponseError:  # no stream yet
            return "0-0"
        for group in groups:
            if group["name"] == GROUP:
                return str(group["last-delivered-id"])
        return "0-0"

    async def _mirror_snapshot(self) -> str:
        """At start: the recent tail of what the group delivered, and every entry still pending in the group."""
        delivered = await self._last_delivered()
        if delivered == "0-0":
            return delivered
        tail: Any = await self._redis.xrevrange(self._stream, max=delivered, min="-", count=self._feed.history)
        oldest = tail[-1][0] if tail else delivered
        rows: list[StreamEntry] = []
        while True:  # alarms older than the tail that some instance still holds for staff
            pending: Any = await self._redis.xpending_range(
                self._stream, GROUP, min="-" if not rows else f"({rows[-1][0]}", max=f"({oldest}", count=BATCH
            )
            if not pending:
                break
            async with self._redis.pipeline(transaction=False) as pipe:
                for row in pending:
                    pipe.xrange(self._stream, min=row["message_id"], max=row["message_id"])
                found: Any = await pipe.execute()
            rows.extend(entries[0] if entries else (row["message_id"], None)
                        for row, entries in zip(pending, found, strict=True))
            if len(pending) < BATCH:
                break
        rows.extend(reversed(tail))
        await self._mirror_rows(rows)
        who = await self.acks.who(list({item.event.id for item in self._feed.recent()}))
        for event_id, by in who.items():
            item = self._feed.acknowledge(event_id, by)
            if item is not None:
                await self._reader.settle(item)
        return delivered

    async def _mirror_through(self, after: str, delivered: str) -> str:
        """Mirror entries after `after` up to `delivered`; returns how far it got."""
        while entry_position(delivered) > entry_position(after):
            rows: Any = await self._redis.xrange(self._stream, min=f"({after}", max=delivered, count=BATCH)
            if not rows:
                return delivered
            await self._mirror_rows(rows)
            after = rows[-1][0]
            if len(rows) < BATCH:
                return delivered
        return after

    async def _mirror_rows(self, rows: list[StreamEntry]) -> None:
        """Add entries another instance took from the group; unreadable ones are that instance's to park."""
        to_ack: list[str] = []
        for entry_id, fields in rows:
            if entry_id in self._reader.seen or not fields:
                continue
            try:
                event = self._reader.decode(fields)
            except Exception:  # parked (and logged) by the instance the group gave it to
                continue
            self._feed.add(entry_id, event)
            item = self._feed.get(event.id)
            if item is not None:
                to_ack.extend(take_settled(item))
        await self._reader.ack(to_ack)
