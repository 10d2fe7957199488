"""Review fixes in the node's publisher: order across a Redis restart that lost data, and nothing lost at stop."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from camera_node.publisher import EventPublisher
from camera_node.spool import Spool
from nattvakt.events import Origin
from nattvakt.redis_server import free_port, start_redis
from tests.bus import wait_until
from tests.bus_processes import numbered_event

STREAM = "fix-pub:events"


async def _stream_ns(url: str) -> list[int]:
    redis = aioredis.from_url(url, decode_responses=True)
    try:
        rows: Any = await redis.xrange(STREAM)
    finally:
        await redis.aclose()
    return [json.loads(fields["event"])["details"]["n"] for _id, fields in rows]


async def _has(url: str, count: int) -> bool:
    return len(await _stream_ns(url)) >= count


async def test_a_restarted_redis_that_lost_the_tail_gets_it_back_before_newer_events(tmp_path: Path) -> None:
    # No append-only file: the restart loses what was sent, as an unsynced tail is lost in a power cut.
    server = start_redis(tmp_path / "redis", appendonly=False)
    spool = Spool(tmp_path / "spool.sqlite3", 10_000)
    publisher = EventPublisher(server.url, STREAM, spool, Origin("a", "room-a"), confirm_after_s=1.0,
                               max_backoff_s=0.2)
    publisher.start()
    try:
        for n in range(20):
            publisher.submit(numbered_event("a", n))
        await publisher.sent()
        assert await _stream_ns(server.url) == list(range(20))
        server.process.kill()
        server.process.wait()
        server = start_redis(tmp_path / "redis", server.port, appendonly=False)
        for n in range(20, 40):
            publisher.submit(numbered_event("a", n))
        url = server.url
        await wait_until(lambda: _has(url, 40), 15)
        await asyncio.sleep(1.5)  # past the confirmation window: no late resend reorders anything either
        got = await _stream_ns(server.url)
        assert got == list(range(40)), f"stream order {got}"
    finally:
        await publisher.stop()
        server.stop()


async def test_stop_keeps_a_batch_still_queued_for_the_spool(tmp_path: Path) -> None:
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    io = ThreadPoolExecutor(max_workers=1)
    busy = threading.Event()
    io.submit(busy.wait, 10)  # the IO thread is busy (a slow disk): the spool write queues behind it
    publisher = EventPublisher(unreachable, STREAM, Spool(tmp_path / "spool.sqlite3", 10_000), Origin("a", "room-a"),
                               io=io, max_backoff_s=0.2)
    publisher.start()
    for n in range(30):
        publisher.submit(numbered_event("a", n))
    await asyncio.sleep(0.2)  # the batch is taken from memory and queued for the IO thread
    stopping = asyncio.create_task(publisher.stop(drain_timeout_s=0.1))
    await asyncio.sleep(0.5)  # stop has given up draining and is stopping the tasks
    busy.set()
    await asyncio.wait_for(stopping, 15)
    io.shutdown(wait=True)
    reopened = Spool(tmp_path / "spool.sqlite3", 10_000)
    assert [json.loads(row.body)["details"]["n"] for row in reopened.read(0, 100)] == list(range(30))
    reopened.close()
