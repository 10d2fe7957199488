"""Forwarding: every HIGH event nobody has acknowledged is sent out in rounds until someone does, anywhere.

The feed is the truth about acknowledgements on every instance (the mirror brings other instances' in), so a round
is sent only while the event is open, and a delivery in progress stops trying once it is acknowledged. Of several
central instances, one sends each round: the first to claim it in Redis (`SET NX`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import UTC, datetime

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from central.events.feed import EventFeed, FeedItem
from central.forwarding.message import Alarm, alarm_of, due_round
from central.forwarding.push import Push
from central.forwarding.webhook import Webhook
from nattvakt.events import Severity
from nattvakt.settings import ForwardingSettings

log = logging.getLogger(__name__)
SELF_ENDING = frozenset({"visit_overdue", "node_offline", "camera_fault"})
"""Kinds whose end settles the matter (the patrol arrived, the camera is back): forwarding them stops then."""
CLAIM_TTL_S = 86_400


def needs_forwarding(item: FeedItem) -> bool:
    """HIGH, unacknowledged, and not a situation that has ended by itself."""
    e = item.event
    return (e.severity >= Severity.HIGH and not item.settled
            and not (e.state == "ended" and e.kind in SELF_ENDING))


class Forwarder:
    """Owns the task that checks the feed every `every_s`, and the deliveries it starts."""

    def __init__(self, feed: EventFeed, redis: aioredis.Redis, stream: str, settings: ForwardingSettings,
                 webhook: Webhook | None, push: Push | None, every_s: float = 0.5) -> None:
        self._feed = feed
        self._redis = redis
        self._stream = stream
        self._settings = settings
        self._webhook = webhook
        self._push = push
        self._every_s = every_s
        self._sent: dict[str, int] = {}
        """Event id -> last round handled here (sent or claimed elsewhere)."""
        self._task: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self.rounds = 0
        self.push_public_key = ""
        """Central's VAPID public key, for the browsers that subscribe (set by `open_forwarder`)."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="alarm forwarder")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._deliveries) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _open(self, event_id: str) -> bool:
        item = self._feed.get(event_id)
        return item is not None and needs_forwarding(item)

    async def check(self, now: datetime) -> None:
        s = self._settings
        for item in self._feed.recent():
            if not needs_forwarding(item):
                continue
            e = item.event
            due = due_round((now - e.started_at).total_seconds(), s.after_s, s.repeat_s, s.max_rounds)
            if due == 0 or self._sent.get(e.id, 0) >= due:
                continue
            self._sent[e.id] = due
            claimed = await self._redis.set(f"{self._stream}:forwarded:{e.id}:{due}", "1", nx=True, ex=CLAIM_TTL_S)
            if not claimed:
                continue  # another instance sends this round
            self.rounds += 1
            task = asyncio.create_task(self._deliver(alarm_of(e, due, s.public_url)), name=f"forward {e.id}")
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
        if len(self._sent) > 10 * self._feed.history:
            self._sent = {k: v for k, v in self._sent.items() if self._feed.get(k) is not None}

    async def _deliver(self, alarm: Alarm) -> None:
        still_open = functools.partial(self._open, alarm.event_id)
        log.warning("forwarding alarm %s (%s, room %s), round %d", alarm.event_id, alarm.kind, alarm.room,
                    alarm.round)
        channels = [c.send(alarm, still_open) for c in (self._webhook, self._push) if c is not None]
        results = await asyncio.gather(*channels, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                log.error("forwarding alarm %s failed in a channel", alarm.event_id, exc_info=result)

    async def _run(self) -> None:
        while True:
            try:
                await self.check(datetime.now(UTC))
            except (RedisError, OSError) as exc:
                log.warning("alarm forwarder waiting for Redis: %s", exc)
            except Exception:  # a bug must not end forwarding: alarms would silently stay on the console only
                log.exception("alarm forwarder check failed; trying again")
            await asyncio.sleep(self._every_s)
