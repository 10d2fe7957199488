"""Tells central every few seconds that this node is alive.

A heartbeat is state, not history, so it is a sorted-set score rather than a stream entry:
`ZADD <stream>:heartbeats <server ms> <node>` is idempotent and never grows, and central finds
every silent node with one range read, however many nodes there are. The time is Redis' own
clock (`TIME` inside the script), so a node with a wrong clock is not reported offline, or alive.
The node's room, recipient and spool status go to a hash beside it, for central's alarms and ops.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from camera_node.publisher import EventPublisher
from nattvakt.bus import heartbeats_key, nodes_key
from nattvakt.events import Origin
from nattvakt.settings import Settings

log = logging.getLogger(__name__)

# KEYS: heartbeats zset, nodes hash. ARGV: node id, node info JSON. Returns the server time in ms.
_HEARTBEAT = """
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], ms, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return ms
"""


class HeartbeatSender:
    """Owns one task that beats every `interval_s` while Redis is reachable, and keeps trying while it is not."""

    def __init__(
        self,
        redis_url: str,
        stream: str,
        origin: Origin,
        interval_s: float,
        status: Callable[[], Mapping[str, int | float | str | None]] | None = None,
    ) -> None:
        self._redis = aioredis.from_url(redis_url, decode_responses=True, socket_timeout=5, socket_connect_timeout=3)
        self._script = self._redis.register_script(_HEARTBEAT)
        self._keys = [heartbeats_key(stream), nodes_key(stream)]
        self._origin = origin
        self._interval_s = interval_s
        self._status = status
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.sent = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="heartbeat")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._redis.aclose()

    @classmethod
    def for_node(cls, settings: Settings, publisher: EventPublisher,
                 health: Callable[[], Mapping[str, int | float | str | None]] | None = None) -> HeartbeatSender:
        """The node's heartbeat, reporting its spool backlog and drops, and `health` (fps, camera, detector), for
        ops' list of cameras."""
        cfg = settings.node
        return cls(
            settings.redis_url_or_default(), settings.events_stream, Origin(cfg.node_id, cfg.room, cfg.recipient),
            cfg.heartbeat_s, status=lambda: {"spool_backlog": publisher.backlog, "dropped": publisher.dropped,
                                             **(health() if health else {})},
        )

    async def beat(self) -> int:
        """Send one heartbeat now; returns Redis' time of it (ms)."""
        status = self._status() if self._status else {}
        info = {"room": self._origin.room, "recipient": self._origin.recipient, **status}
        ms = await self._script(keys=self._keys, args=[self._origin.node, json.dumps(info)])
        self.sent += 1
        return int(ms)

    async def _run(self) -> None:
        failing = False
        while not self._stopping:
            try:
                await self.beat()
                if failing:
                    log.info("%s: heartbeats reach Redis again", self._origin.node)
                failing = False
            except (RedisError, OSError) as exc:
                if self._stopping:
                    return
                if not failing:
                    log.warning("%s: cannot send heartbeat: %s; central will report this node offline",
                                self._origin.node, exc)
                failing = True
            await asyncio.sleep(self._interval_s)
