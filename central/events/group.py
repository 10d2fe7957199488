"""Reads the event stream as this instance's consumer in the group `console`, and claims silent instances' entries.

An entry stays pending until staff acknowledge its event, or policy resolves it (`auto_resolves`). On start the
reader first re-reads its own pending entries (a restart rebuilds its feed). Every few seconds it looks for other
instances that have been silent longer than `claim_idle_s` and XCLAIMs their pending entries. It claims only from
silent consumers, per consumer, rather than XAUTOCLAIM over the whole group: XAUTOCLAIM would also take entries a
live instance is holding for its staff to acknowledge. Entries it cannot read are parked in the dead-letter stream
(`central.events.dead_letters`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from central.events.dead_letters import DeadLetters
from central.events.feed import EventFeed, FeedItem, take_settled
from nattvakt.backoff import Backoff
from nattvakt.events import Event, EventRejected, decode_stream_entry

log = logging.getLogger(__name__)

GROUP = "console"
BATCH = 200
SEEN_WINDOW = 50_000
"""Entry ids this instance took through the group, so the mirror need not decode them again."""

StreamEntry = tuple[str, Mapping[str, str] | None]
Decoder = Callable[[Mapping[str, str]], Event]
"""Turns an entry's fields into its event or raises `EventRejected` (central's is `EventVerifier.decode`)."""


def _entries(reply: Any) -> list[StreamEntry]:
    """XREADGROUP's reply for one stream, as (entry id, fields) pairs (redis-py types it loosely).

    Nothing read is None, [] (RESP2) or {} (RESP3); RESP3 maps stream -> entries instead of listing pairs.
    Fields are empty ({} or None) for a pending entry that was trimmed before anyone acknowledged it.
    """
    if not reply:
        return []
    rows = next(iter(reply.values())) if isinstance(reply, dict) else reply[0][1]
    return [(entry_id, fields) for entry_id, fields in rows or []]


class GroupReader:
    """XREADGROUP as this instance's consumer; XACK when staff (or policy) settle an event."""

    def __init__(
        self,
        redis: aioredis.Redis,
        stream: str,
        consumer: str,
        feed: EventFeed,
        *,
        claim_idle_s: float,
        dead_letters: DeadLetters | None = None,
        decode: Decoder = decode_stream_entry,
    ) -> None:
        self._redis = redis
        self.decode = decode
        self._stream = stream
        self._consumer = consumer
        self._feed = feed
        self._claim_idle_ms = int(claim_idle_s * 1000)
        self._claim_every_s = min(max(claim_idle_s / 3, 0.1), 5.0)
        # A live consumer's XINFO idle time grows during a blocking read: keep the block well under claim_idle_s.
        self._block_ms = max(int(min(1.0, self._claim_every_s) * 1000), 50)
        self.dead_letters = dead_letters or DeadLetters(redis, stream, GROUP)
        self.seen: OrderedDict[str, None] = OrderedDict()
        """Entries taken through the group (newest last, at most `SEEN_WINDOW`)."""
        self.stopping = False
        self.connected = False
        self.received = 0
        """Entries read (new, re-read or claimed)."""
        self.duplicates = 0
        """Entries whose revision was already shown."""
        self.claimed = 0
        """Entries taken over from silent instances."""

    async def ack(self, entry_ids: list[str]) -> int:
        if not entry_ids:
            return 0
        return int(await self._redis.xack(self._stream, GROUP, *entry_ids))

    async def settle(self, item: FeedItem) -> None:
        """XACK every entry of a settled item this instance knows (XACK is group-wide; a repeat is harmless)."""
        await self.ack(take_settled(item))

    async def _ensure_group(self) -> None:
        try:
            await self._redis.xgroup_create(self._stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self) -> None:
        retry = Backoff(0.2, 10.0)
        # Loops test `stopping` as well as relying on cancel(): redis-py can swallow a
        # cancellation that lands in a blocking read, and the XREADGROUP block bounds the wait.
        while not self.stopping:
            try:
                await self._ensure_group()
                # First our own pending entries (after a restart), then new ones.
                await self._read("0")
                self.connected = True
                retry.reset()
                next_claim = 0.0
                while not self.stopping:
                    if time.monotonic() >= next_claim:
                        await self._claim_from_silent_instances()
                        next_claim = time.monotonic() + self._claim_every_s
                    await self._read(">")
            except (RedisError, OSError) as exc:
                self.connected = False
                if self.stopping:
                    return
                delay = retry.next()
                log.warning("waiting for Redis (event stream %s): %s; retry in %.1f s", self._stream, exc, delay)
                await asyncio.sleep(delay)

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
            self.seen[entry_id] = None
            to_ack.extend(await self._handle(entry_id, fields))
        while len(self.seen) > SEEN_WINDOW:
            self.seen.popitem(last=False)
        await self.ack(to_ack)

    async def _handle(self, entry_id: str, fields: Mapping[str, str] | None) -> list[str]:
        """Show the entry; returns the entry ids that policy lets us acknowledge now."""
        if not fields:  # XREADGROUP gives a trimmed pending entry empty fields ({}), some clients None
            await self.dead_letters.park(
                entry_id, {}, "trimmed", "entry left the stream (MAXLEN) before it was acknowledged", self._consumer
            )
            return []
        try:
            event = self.decode(fields)
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
        return take_settled(item)
