"""Reads the event stream through a consumer group and feeds the console.

Each central instance is a named consumer in the group `console`. An entry stays pending until
staff acknowledge its event, or policy resolves it (`auto_resolves`). On start an instance first
re-reads its own pending entries (a restart rebuilds its feed). Every few seconds it looks for
other instances that have been silent longer than `claim_idle_s` and XCLAIMs their pending
entries. It claims only from silent consumers, per consumer, rather than XAUTOCLAIM over the whole
group: XAUTOCLAIM would also take entries a live instance is holding for its staff to acknowledge.
Entries it cannot read are parked in the dead-letter stream (`central.dead_letters`).

With several instances the group splits the entries between them, so each console would see only
its share. A second task therefore mirrors the stream itself (XRANGE up to the group's last
delivered entry, so nothing is shown before the group has it pending) into every instance's feed,
and follows the acknowledgements that all instances share in Redis (`central.ack_state`): every
console shows every event once, with the same acknowledged state. XACK is group-wide, so whichever
instance sees an event settled acknowledges the entries of it that it knows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from central.ack_state import AckState
from central.dead_letters import DeadLetters
from central.event_feed import EventFeed, FeedItem, auto_resolves, entry_position
from nattvakt.events import EventRejected, decode_stream_entry

log = logging.getLogger(__name__)

GROUP = "console"
BATCH = 200

StreamEntry = tuple[str, Mapping[str, str] | None]


__all__ = ["BATCH", "GROUP", "EventConsumer", "auto_resolves"]

MIRROR_BLOCK_MS = 50
"""The mirror's pace: it waits this long for acknowledgement notices between looks at the stream."""
_SEEN_WINDOW = 50_000
"""Entry ids this instance took through the group, so the mirror need not decode them again."""


def _entries(reply: Any) -> list[StreamEntry]:
    """XREADGROUP's reply for one stream, as (entry id, fields) pairs (redis-py types it loosely).

    Nothing read is None, [] (RESP2) or {} (RESP3); RESP3 maps stream -> entries instead of listing pairs.
    Fields are empty ({} or None) for a pending entry that was trimmed before anyone acknowledged it.
    """
    if not reply:
        return []
    rows = next(iter(reply.values())) if isinstance(reply, dict) else reply[0][1]
    return [(entry_id, fields) for entry_id, fields in rows or []]


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
        self.acks = AckState(redis, stream)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._mirror_task: asyncio.Task[None] | None = None
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
        self._mirror_task = asyncio.create_task(self._mirror(), name="event mirror")
        self._mirror_task.add_done_callback(self._on_done)

    @property
    def alive(self) -> bool:
        """False once a consumer task has ended while it was meant to run (a bug; `/healthz` reports it)."""
        tasks = (self._task, self._mirror_task)
        return all(task is not None for task in tasks) and (
            self._stopping or not any(task.done() for task in tasks if task is not None)
        )

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
        tasks = [task for task in (self._task, self._mirror_task) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def ack(self, entry_ids: list[str]) -> int:
        if not entry_ids:
            return 0
        return int(await self._redis.xack(self._stream, GROUP, *entry_ids))

    async def acknowledge(self, event_id: str, by: str) -> tuple[FeedItem | None, bool]:
        """Staff acknowledge an event: exactly one of concurrent calls (on any instance) wins.

        Returns the feed item (None if not in this feed) and whether this call was the one that counted.
        """
        won, winner = await self.acks.acknowledge(event_id, by)
        item = self._feed.acknowledge(event_id, winner)
        if item is not None:
            await self._settle(item)
        return item, won

    async def _settle(self, item: FeedItem) -> None:
        """XACK every entry of a settled item this instance knows (XACK is group-wide; a repeat is harmless)."""
        await self.ack(_take_settled(item))

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
                    got = {entry_id for entry_id, _fields in claimed}
                    await self._park_trimmed([entry_id for entry_id in ids if entry_id not in got], name)
                await self._handle_batch(claimed)
                if len(rows) < BATCH:
                    break

    async def _park_trimmed(self, missing: list[str], owner: str) -> None:
        """XCLAIM leaves out (and Redis 7 drops from the group) entries trimmed away while pending: park them.

        The rest of `missing` were claimed by another instance first; that one shows them.
        """
        for entry_id in missing:
            if await self._redis.xrange(self._stream, min=entry_id, max=entry_id):
                continue
            await self.dead_letters.park(
                entry_id, {}, "trimmed",
                f"pending entry of {owner} left the stream (MAXLEN) before it was acknowledged; its event is unknown",
                self._consumer,
            )

    async def _handle_batch(self, entries: list[StreamEntry]) -> None:
        to_ack: list[str] = []
        for entry_id, fields in entries:
            self.received += 1
            self._seen[entry_id] = None
            to_ack.extend(await self._handle(entry_id, fields))
        while len(self._seen) > _SEEN_WINDOW:
            self._seen.popitem(last=False)
        await self.ack(to_ack)

    async def _handle(self, entry_id: str, fields: Mapping[str, str] | None) -> list[str]:
        """Show the entry; returns the entry ids that policy lets us acknowledge now."""
        if not fields:  # XREADGROUP gives a trimmed pending entry empty fields ({}), some clients None
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
        return _take_settled(item)

    async def _mirror(self) -> None:
        """Show every instance's share of the stream, and every acknowledgement, in this instance's feed."""
        backoff = 0.2
        started = False
        shown_through = notices_after = "0-0"
        while not self._stopping:
            try:
                if not started:
                    last_look = time.monotonic()
                    notices_after = await self.acks.last_notice_id()  # before the snapshot: no notice falls between
                    shown_through = await self._mirror_snapshot()
                    started = True
                backoff = 0.2
                while not self._stopping:
                    for notice in await self.acks.notices(notices_after, MIRROR_BLOCK_MS):
                        notices_after = notice.entry_id
                        item = self._feed.acknowledge(notice.event_id, notice.by)
                        if item is not None:
                            await self._settle(item)
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
                if self._stopping:
                    return
                log.warning("event mirror waiting for Redis: %s; retry in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

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
                await self._settle(item)
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
            if entry_id in self._seen or not fields:
                continue
            try:
                event = decode_stream_entry(fields)
            except Exception:  # parked (and logged) by the instance the group gave it to
                continue
            self._feed.add(entry_id, event)
            item = self._feed.get(event.id)
            if item is not None:
                to_ack.extend(_take_settled(item))
        await self.ack(to_ack)


def _take_settled(item: FeedItem) -> list[str]:
    """The stream entries of a settled item, handed over once to be acknowledged; nothing while it is open."""
    if not item.settled:
        return []
    ids = item.entry_ids[:]
    item.entry_ids.clear()
    return ids
