"""Consent changes told to every open console as they happen, from any central instance.

A change (a new version, a pause, a withdrawal) reaches the recipient's nodes as a signed copy announced on the
node's pub/sub channel (`nattvakt.consent_transport`). Every central instance listens to all those channels and
bumps `ConsentNews.version`; each console's event stream waits on it and tells its page to reload what consent
decides (tonight's check-ins, which look-ins are offered). Consoles thus learn of a change when the cameras do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from nattvakt.backoff import Backoff
from nattvakt.consent_transport import notify_channel

log = logging.getLogger(__name__)


class ConsentNews:
    """A counter of consent changes heard, and the task that listens for them (`start`/`stop`)."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self.version = 0
        """Bumped on every change heard; a stream compares it with what it last told its page."""
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def note(self) -> None:
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def after(self, seen: int) -> int:
        """Wait until a change after version `seen` is heard; returns the version then."""
        while self.version <= seen:
            await self._changed.wait()
        return self.version

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="consent news")

    async def stop(self) -> None:
        # The loops test `_stopping` as well: redis-py can swallow a cancellation that lands in a read.
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        retry = Backoff(0.5, 10.0)
        missed = False
        while not self._stopping:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(notify_channel("*"))
                    retry.reset()
                    if missed:  # a change may have gone by meanwhile: pages reload once
                        missed = False
                        self.note()
                    while not self._stopping:
                        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if message is not None:
                            self.note()
            except (RedisError, OSError) as exc:
                if self._stopping:
                    return
                missed = True
                delay = retry.next()
                log.warning("consent news lost Redis (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
