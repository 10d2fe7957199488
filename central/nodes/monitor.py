"""Raises `node_offline` (HIGH) when a node's heartbeats stop, and ends it when they come back.

The alarm is an ordinary event on the event stream, so it reaches the console, waits for staff
and survives restarts like any other. Several central instances may watch at once without
raising it twice: the event id is derived from (node, time of its last heartbeat), so every
instance builds the same event, and the idempotent XADD adds it once. The open outages live in
a Redis hash so any instance can end an outage another one opened.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from nattvakt.bus import EntrySigner, heartbeats_key, idempotent_xadd, nodes_key, offline_key, publish_once
from nattvakt.events import Event, Severity, deterministic_event_id

log = logging.getLogger(__name__)


def _at(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def node_info(raw: str | None) -> dict[str, str]:
    """The room and recipient from a node's heartbeat record; anything unreadable becomes unknown, not an error."""
    try:
        info = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    if not isinstance(info, dict):
        return {}
    return {key: value for key in ("room", "recipient") if isinstance(value := info.get(key), str)}


def offline_event(node: str, last_seen_ms: int, now_ms: int, info: dict[str, str]) -> Event:
    """The alarm for one outage; the same inputs give the same event id on every instance."""
    return Event(
        id=deterministic_event_id(last_seen_ms, f"node_offline:{node}"),
        node=node[:64],
        room=(info.get("room") or "?")[:64],
        recipient=info.get("recipient", "")[:128],
        kind="node_offline",
        severity=Severity.HIGH,
        started_at=_at(last_seen_ms),
        details={"last_seen_ms": last_seen_ms, "silent_s": round((now_ms - last_seen_ms) / 1000, 1)},
    )


class NodeMonitor:
    """Owns one task that compares every node's last heartbeat with Redis' clock."""

    def __init__(self, redis: aioredis.Redis, stream: str, offline_after_s: float, *, maxlen: int,
                 sign: EntrySigner | None = None) -> None:
        """`sign`: central's own event signature (nodes' events are verified; central's are signed as central)."""
        self._sign = sign
        self._redis = redis
        self._stream = stream
        self._offline_after_ms = int(offline_after_s * 1000)
        self._check_every_s = min(max(offline_after_s / 4, 0.1), 2.0)
        self._maxlen = maxlen
        self._xadd = idempotent_xadd(redis)
        self._started = time.monotonic()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.raised = 0
        self.ended = 0

    def start(self) -> None:
        self._started = time.monotonic()
        self._task = asyncio.create_task(self._run(), name="node monitor")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def last_seen(self) -> dict[str, int]:
        """Node id -> last heartbeat (Redis ms)."""
        rows: Any = await self._redis.zrange(heartbeats_key(self._stream), 0, -1, withscores=True)
        return {node: int(score) for node, score in rows}

    async def details(self) -> dict[str, dict[str, Any]]:
        """Node id -> what its last heartbeat said (room, spool, fps, camera fault, detector state), for ops."""
        raw: Any = await self._redis.hgetall(nodes_key(self._stream))
        found: dict[str, dict[str, Any]] = {}
        for node, text in raw.items():
            try:
                info = json.loads(text)
            except ValueError:
                continue
            if isinstance(info, dict):
                found[node] = info
        return found

    async def _to_check(self, now_ms: int, open_outages: dict[str, str]) -> dict[str, int]:
        """Node id -> last heartbeat for the nodes that may need an alarm raised or ended: those silent too long,
        and those with an open outage. A healthy node costs nothing here, so a thousand rooms cost what the few
        silent ones do, not a read of every heartbeat every pass."""
        key = heartbeats_key(self._stream)
        stale: Any = await self._redis.zrangebyscore(key, "-inf", f"({now_ms - self._offline_after_ms}",
                                                     withscores=True)
        seen = {node: int(score) for node, score in stale}
        outages = [node for node in open_outages if node not in seen]
        if outages:
            scores: Any = await self._redis.zmscore(key, outages)
            seen.update({node: int(score) for node, score in zip(outages, scores, strict=True) if score is not None})
        return seen

    async def check(self) -> None:
        """One pass over the nodes that are silent or were."""
        seconds, micros = await self._redis.time()
        now_ms = seconds * 1000 + micros // 1000
        open_outages: Any = await self._redis.hgetall(offline_key(self._stream))
        seen = await self._to_check(now_ms, open_outages)
        # Give nodes that restart together with central one full timeout before calling them offline.
        may_raise = time.monotonic() - self._started >= self._offline_after_ms / 1000
        infos: Any = None
        for node, last_ms in seen.items():
            try:
                infos = await self._check_node(node, last_ms, now_ms, open_outages.get(node), may_raise, infos)
            except (RedisError, OSError):
                raise
            except Exception:  # boundary: one node's bad record must not stop the watch over every other node
                log.exception("node monitor: cannot check node %r; checking the others", node)

    async def _check_node(
        self, node: str, last_ms: int, now_ms: int, outage: str | None, may_raise: bool, infos: Any
    ) -> Any:
        """Raise or end one node's outage; returns the node-info hash once it had to be read."""
        if outage is not None:
            try:
                opened = Event.model_validate_json(outage)
            except ValueError as exc:  # boundary: a bad record must not stop the watch over every other node
                log.error("dropping unreadable open outage of node %s: %s", node, exc)
                await self._redis.hdel(offline_key(self._stream), node)
                return infos
            if last_ms > int(opened.details.get("last_seen_ms", 0)):
                await self._end(opened, last_ms)
        elif may_raise and now_ms - last_ms > self._offline_after_ms:
            if infos is None:
                infos = await self._redis.hgetall(nodes_key(self._stream))
            await self._raise(node, last_ms, now_ms, infos.get(node))
        return infos

    async def _raise(self, node: str, last_ms: int, now_ms: int, info_json: str | None) -> None:
        event = offline_event(node, last_ms, now_ms, node_info(info_json))
        if await publish_once(self._redis, self._xadd, self._stream, event, self._maxlen, self._sign):
            self.raised += 1
            log.error("node %s (room %s) is offline: no heartbeat for %.1f s", node, event.room,
                      (now_ms - last_ms) / 1000)
        await self._redis.hset(offline_key(self._stream), node, event.model_dump_json())

    async def _end(self, opened: Event, back_ms: int) -> None:
        ended = opened.model_copy(
            update={"state": "ended", "seq": opened.seq + 1, "ended_at": _at(back_ms),
                    "details": {**opened.details, "back_ms": back_ms}}
        )
        if await publish_once(self._redis, self._xadd, self._stream, ended, self._maxlen, self._sign):
            self.ended += 1
            log.warning("node %s is back online after %.1f s", opened.node,
                        (back_ms - int(opened.details.get("last_seen_ms", back_ms))) / 1000)
        await self._redis.hdel(offline_key(self._stream), opened.node)

    async def _run(self) -> None:
        failing = False
        while not self._stopping:
            try:
                await self.check()
                failing = False
            except (RedisError, OSError) as exc:
                if self._stopping:
                    return
                if not failing:
                    log.warning("node monitor waiting for Redis: %s", exc)
                failing = True
            except Exception:  # a bug must not end the watch: a dead monitor would never raise node_offline
                log.exception("node monitor check failed; trying again")
            await asyncio.sleep(self._check_every_s)
