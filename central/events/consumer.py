"""Central's consumption of the event stream: the group reader and the cross-instance mirror, owned together.

`GroupReader` (`central.events.group`) takes this instance's share of the stream through the consumer group;
`StreamMirror` (`central.events.mirror`) shows every other instance's share and every acknowledgement. This owner
starts and stops both tasks, reports whether they live, and acknowledges events for staff.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis

from central.events.acks import AckState
from central.events.dead_letters import DeadLetters
from central.events.feed import EventFeed, FeedItem, auto_resolves
from central.events.group import BATCH, GROUP, Decoder, GroupReader
from central.events.mirror import StreamMirror
from nattvakt.events import decode_stream_entry

log = logging.getLogger(__name__)

__all__ = ["BATCH", "GROUP", "EventConsumer", "auto_resolves"]


class EventConsumer:
    """Two tasks: the group reader (XREADGROUP as this instance) and the mirror; XACK when an event is settled."""

    def __init__(
        self,
        redis: aioredis.Redis,
        stream: str,
        consumer: str,
        feed: EventFeed,
        *,
        claim_idle_s: float = 30.0,
        dead_letters: DeadLetters | None = None,
        decode: Decoder = decode_stream_entry,
    ) -> None:
        """`decode`: central verifies every entry (`central.events.verification`); bus tests read them plainly."""
        self._feed = feed
        self._reader = GroupReader(redis, stream, consumer, feed, claim_idle_s=claim_idle_s, dead_letters=dead_letters,
                                   decode=decode)
        self.dead_letters = self._reader.dead_letters
        self.acks = AckState(redis, stream)
        self._mirror = StreamMirror(redis, stream, consumer, feed, self.acks, self._reader)
        self._task: asyncio.Task[None] | None = None
        self._mirror_task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def connected(self) -> bool:
        return self._reader.connected

    @property
    def received(self) -> int:
        """Entries read (new, re-read or claimed)."""
        return self._reader.received

    @property
    def duplicates(self) -> int:
        """Entries whose revision was already shown."""
        return self._reader.duplicates

    @property
    def claimed(self) -> int:
        """Entries taken over from silent instances."""
        return self._reader.claimed

    def start(self) -> None:
        self._task = asyncio.create_task(self._reader.run(), name="event consumer")
        self._task.add_done_callback(self._on_done)
        self._mirror_task = asyncio.create_task(self._mirror.run(), name="event mirror")
        self._mirror_task.add_done_callback(self._on_done)

    @property
    def alive(self) -> bool:
        """False once a consumer task has ended while it was meant to run (a bug; `/healthz` reports it)."""
        tasks = (self._task, self._mirror_task)
        return all(task is not None for task in tasks) and (
            self._stopping or not any(task.done() for task in tasks if task is not None)
        )

    def _on_done(self, task: asyncio.Task[None]) -> None:
        self._reader.connected = False
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
        self._stopping = self._reader.stopping = self._mirror.stopping = True
        tasks = [task for task in (self._task, self._mirror_task) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def ack(self, entry_ids: list[str]) -> int:
        return await self._reader.ack(entry_ids)

    async def acknowledge(self, event_id: str, by: str) -> tuple[FeedItem | None, bool]:
        """Staff acknowledge an event: exactly one of concurrent calls (on any instance) wins.

        Returns the feed item (None if not in this feed) and whether this call was the one that counted.
        """
        won, winner = await self.acks.acknowledge(event_id, by)
        item = self._feed.acknowledge(event_id, winner)
        if item is not None:
            await self._reader.settle(item)
        return item, won
