"""Review fixes in the event bus: trimmed pending entries, a node monitor that outlives bad records."""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from central.events.consumer import GROUP
from central.nodes.monitor import NodeMonitor
from nattvakt.bus import heartbeats_key, nodes_key
from tests.bus import Console, wait_until
from tests.bus_processes import numbered_event

STREAM = "fix-bus:events"


async def _publish(redis: aioredis.Redis, node: str, count: int) -> None:
    for n in range(count):
        fields: Any = numbered_event(node, n).to_stream_fields()
        await redis.xadd(STREAM, fields)


async def test_pending_entries_trimmed_before_a_claim_are_parked_not_lost(redis_url: str) -> None:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    await _publish(redis, "a", 10)
    async with Console(redis_url, STREAM, "central-a") as first:
        await first.until(10)
    # central-a is gone with 10 alarms pending; MAXLEN trims the oldest 6 before anyone takes them over.
    await redis.xtrim(STREAM, maxlen=4, approximate=False)
    async with Console(redis_url, STREAM, "central-b", claim_idle_s=0.3) as second:
        shown = await second.until(4, limit_s=10)
        assert [int(event.details["n"]) for event in shown] == [6, 7, 8, 9]
        await wait_until(lambda: second.consumer.dead_letters.parked >= 6, 5)
        assert await second.consumer.dead_letters.counts() == {"trimmed": 6}
        parked = await second.consumer.dead_letters.recent(10)
        assert all("central-a" in letter.detail for letter in parked)
    pending: Any = await redis.xpending(STREAM, GROUP)
    assert pending["pending"] == 4 and pending["consumers"] == [{"name": "central-b", "pending": 4}]
    await redis.aclose()


async def test_own_pending_entries_trimmed_during_a_restart_are_parked_as_trimmed(redis_url: str) -> None:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    await _publish(redis, "a", 5)
    async with Console(redis_url, STREAM, "central-a") as console:
        await console.until(5)
    await redis.xtrim(STREAM, maxlen=2, approximate=False)
    async with Console(redis_url, STREAM, "central-a") as console:
        shown = await console.until(2)
        assert [int(event.details["n"]) for event in shown] == [3, 4]
        assert await console.consumer.dead_letters.counts() == {"trimmed": 3}
        assert console.consumer.alive
    await redis.aclose()


async def test_bad_heartbeat_records_do_not_stop_the_node_monitor(redis_url: str) -> None:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    # Four silent nodes, three with records a node (or an older version) could have written wrongly.
    await redis.zadd(heartbeats_key(STREAM), {"good": 1000, "not-json": 1000, "list-room": 1000, "long-room": 1000})
    await redis.hset(nodes_key(STREAM), mapping={
        "good": json.dumps({"room": "12", "recipient": "Greta"}),
        "not-json": "{room: 12",
        "list-room": json.dumps({"room": ["12"], "recipient": 7}),
        "long-room": json.dumps({"room": "r" * 500}),
    })
    monitor = NodeMonitor(redis, STREAM, offline_after_s=0.2, maxlen=1000)
    monitor.start()
    try:
        await wait_until(lambda: monitor.raised >= 4, 5)
        assert monitor._task is not None and not monitor._task.done()
    finally:
        await monitor.stop()
    rows: Any = await redis.xrange(STREAM)
    alarms = {event["node"]: event for event in (json.loads(fields["event"]) for _id, fields in rows)}
    assert set(alarms) == {"good", "not-json", "list-room", "long-room"}
    assert alarms["good"]["room"] == "12" and alarms["good"]["recipient"] == "Greta"
    assert alarms["not-json"]["room"] == "?" and alarms["list-room"]["room"] == "?"
    assert len(alarms["long-room"]["room"]) == 64
    assert all(alarm["kind"] == "node_offline" and alarm["severity"] == 4 for alarm in alarms.values())
    await redis.aclose()
