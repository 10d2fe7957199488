"""The event bus under failure, against real Redis servers and real processes.

Each test asserts the same three things: nothing lost, nothing shown twice, each node's order kept.
Events carry `details.n`, their number in their node's sequence.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from central.events.consumer import GROUP
from nattvakt.redis_server import RedisServer, free_port, start_redis
from tests.bus import Child, Console, assert_exactly_once_in_order, make_publisher, wait_until
from tests.bus_processes import numbered_event

STREAM = "bus:events"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis this test may kill and restart (same port, same data dir, append-only file on)."""
    server = start_redis(tmp_path / "redis")
    yield server
    server.stop()


async def test_redis_killed_and_restarted_mid_stream(own_redis: RedisServer, tmp_path: Path) -> None:
    nodes = ["a", "b", "c"]
    publishers = {node: make_publisher(own_redis.url, STREAM, tmp_path, node) for node in nodes}
    async with Console(own_redis.url, STREAM) as console:
        for publisher in publishers.values():
            publisher.start()
        for n in range(150):
            for node in nodes:
                publishers[node].submit(numbered_event(node, n))
            if n == 60:
                own_redis.process.kill()  # SIGKILL: whatever Redis had not fsynced yet is gone
                own_redis.process.wait()
            if n == 100:
                own_redis = start_redis(own_redis.data_dir, own_redis.port)
            await asyncio.sleep(0.01)
        await console.until(450)
        shown = await console.settle(quiet_s=2.5)  # past the publishers' confirmation window
        for publisher in publishers.values():
            await publisher.stop()
    assert_exactly_once_in_order(shown, {node: list(range(150)) for node in nodes})
    own_redis.stop()


async def test_central_killed_with_events_pending_another_instance_claims_them(
    redis_url: str, tmp_path: Path
) -> None:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    central_a = await Child.spawn("consume", "--redis-url", redis_url, "--stream", STREAM, "--name", "central-a")
    await central_a.wait_for_line("read 0")
    publishers = [make_publisher(redis_url, STREAM, tmp_path, node) for node in ("a", "b")]
    for publisher in publishers:
        publisher.start()
    for n in range(50):
        for publisher, node in zip(publishers, ("a", "b"), strict=True):
            publisher.submit(numbered_event(node, n))
    await central_a.wait_for_line("read", at_least=100)
    await central_a.kill()
    pending: Any = await redis.xpending(STREAM, GROUP)
    assert pending["pending"] == 100 and pending["consumers"] == [{"name": "central-a", "pending": 100}]

    async with Console(redis_url, STREAM, "central-b", claim_idle_s=1.0) as console:
        shown = await console.until(100, limit_s=10)  # shown at once (mirrored); taken over once central-a is silent
        await wait_until(lambda: console.consumer.claimed >= 100)
        assert console.consumer.claimed == 100
        assert_exactly_once_in_order(
            [item.event for item in reversed(console.feed.recent())], {"a": list(range(50)), "b": list(range(50))}
        )
        assert_exactly_once_in_order(shown, {"a": list(range(50)), "b": list(range(50))})
        pending = await redis.xpending(STREAM, GROUP)
        assert pending["consumers"] == [{"name": "central-b", "pending": 100}]
        item = console.feed.recent()[0]
        await console.consumer.ack(item.entry_ids)  # staff acknowledge on the instance that took over
        assert (await redis.xpending(STREAM, GROUP))["pending"] == 99
    for publisher in publishers:
        await publisher.stop()
    await redis.aclose()


async def test_restarted_central_rebuilds_its_feed_from_its_pending_entries(redis_url: str, tmp_path: Path) -> None:
    publisher = make_publisher(redis_url, STREAM, tmp_path, "a")
    publisher.start()
    for n in range(30):
        publisher.submit(numbered_event("a", n))
    first = await Child.spawn("consume", "--redis-url", redis_url, "--stream", STREAM, "--name", "central-a")
    await first.wait_for_line("read", at_least=30)
    await first.kill()
    async with Console(redis_url, STREAM, "central-a") as console:
        shown = await console.until(30)
        assert_exactly_once_in_order(await console.settle(), {"a": list(range(30))})
        assert shown == console.shown
    await publisher.stop()


async def test_node_restarted_with_a_non_empty_spool_delivers_it(redis_url: str, tmp_path: Path) -> None:
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    common = ["--stream", STREAM, "--data-dir", str(tmp_path), "--node", "a"]
    offline = await Child.spawn("produce", "--redis-url", unreachable, *common, "--count", "200")
    await offline.wait_for_line("spooled 200")
    await offline.kill()

    async with Console(redis_url, STREAM) as console:
        back = await Child.spawn("produce", "--redis-url", redis_url, *common, "--first", "200", "--count", "20")
        line = await back.wait_for_line("drained")
        await console.until(220)
        shown = await console.settle()
        await back.kill()
    assert line == "drained published=220 skipped=0"
    assert_exactly_once_in_order(shown, {"a": list(range(220))})


async def test_same_event_delivered_twice_is_shown_once(redis_url: str, tmp_path: Path) -> None:
    """A node killed after sending but before Redis confirmed replays its spool; raw duplicates too."""
    redis = aioredis.from_url(redis_url, decode_responses=True)
    common = ["--redis-url", redis_url, "--stream", STREAM, "--data-dir", str(tmp_path), "--node", "a"]
    node = await Child.spawn("produce", *common, "--count", "100")
    await node.wait_for_line("drained published=100")
    await node.kill()  # within the confirmation window: all 100 are still in its spool
    again = await Child.spawn("produce", *common)
    assert await again.wait_for_line("drained") == "drained published=0 skipped=100"
    await again.kill()
    assert await redis.xlen(STREAM) == 100, "the producer's idempotency key kept the replay off the stream"

    duplicated = numbered_event("b", 0)
    fields: Any = duplicated.to_stream_fields()
    async with Console(redis_url, STREAM) as console:
        await redis.xadd(STREAM, fields)  # the same revision, twice, past the producer's guard
        await redis.xadd(STREAM, fields)
        shown = await console.until(101)
        shown = await console.settle()
        assert_exactly_once_in_order(shown, {"a": list(range(100)), "b": [0]})
        item = console.feed.get(duplicated.id)
        assert item is not None and len(item.entry_ids) == 2
        await console.consumer.acknowledge(duplicated.id, "anna")
        await redis.xadd(STREAM, fields)  # a third copy after staff acknowledged: acknowledged by itself
        await asyncio.sleep(0.5)
        assert len(console.shown) == 101
        pending: Any = await redis.xpending(STREAM, GROUP)
        assert pending["pending"] == 100, "only node a's events still wait for staff"
    await redis.aclose()


async def test_thousand_events_from_twenty_nodes(redis_url: str, tmp_path: Path) -> None:
    nodes = [f"node-{i:02d}" for i in range(20)]
    publishers = {node: make_publisher(redis_url, STREAM, tmp_path, node) for node in nodes}
    rng = random.Random(5)
    order = [node for node in nodes for _ in range(50)]
    rng.shuffle(order)
    counters = dict.fromkeys(nodes, 0)
    async with Console(redis_url, STREAM) as console:
        for publisher in publishers.values():
            publisher.start()
        for i, node in enumerate(order):
            publishers[node].submit(numbered_event(node, counters[node]))
            counters[node] += 1
            if i % 50 == 0:
                await asyncio.sleep(0)
        await console.until(1000)
        shown = await console.settle()
        for publisher in publishers.values():
            await publisher.stop()
    assert_exactly_once_in_order(shown, {node: list(range(50)) for node in nodes})
