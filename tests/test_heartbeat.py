"""Heartbeats and node_offline against a real Redis, with short timings; bad heartbeat records never stop it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import redis.asyncio as aioredis

from camera_node.heartbeat import HeartbeatSender
from central.nodes.monitor import NodeMonitor
from nattvakt.bus import heartbeats_key, nodes_key, offline_key
from nattvakt.events import Event, Origin, Severity
from tests.bus import Console, wait_until

STREAM = "hb:events"


async def _offline_events(redis: aioredis.Redis) -> list[Event]:
    rows: Any = await redis.xrange(STREAM)
    return [Event.model_validate_json(fields["event"]) for _, fields in rows]


async def test_silent_node_raises_one_node_offline_and_its_return_ends_it(redis_url: str) -> None:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    sender = HeartbeatSender(redis_url, STREAM, Origin("cam-7", "rum 7", "Greta"), interval_s=0.1)
    # Two central instances watch the same nodes: the alarm must still be raised once.
    monitors = [NodeMonitor(redis, STREAM, offline_after_s=1.0, maxlen=10_000) for _ in range(2)]
    async with Console(redis_url, STREAM) as console:
        sender.start()
        for monitor in monitors:
            monitor.start()
        await asyncio.sleep(1.5)  # beating: no alarm
        assert await _offline_events(redis) == []

        await sender.stop()  # the node goes silent
        [opened] = await console.until(1, limit_s=5)
        assert (opened.kind, opened.severity, opened.state) == ("node_offline", Severity.HIGH, "open")
        assert (opened.node, opened.room, opened.recipient) == ("cam-7", "rum 7", "Greta")
        assert await redis.hexists(offline_key(STREAM), "cam-7")

        back = HeartbeatSender(redis_url, STREAM, Origin("cam-7", "rum 7", "Greta"), interval_s=0.1)
        back.start()  # the node returns
        shown = await console.until(2, limit_s=5)
        await asyncio.sleep(1.1)  # the monitors see the node back and do not raise a second alarm
        await back.stop()
        await asyncio.sleep(0.2)
        for monitor in monitors:
            await monitor.stop()

    assert shown[1].id == opened.id and shown[1].state == "ended" and shown[1].seq == 1
    events = await _offline_events(redis)
    assert [(e.id, e.state) for e in events] == [(opened.id, "open"), (opened.id, "ended")], "raised once, ended once"
    assert sum(m.raised for m in monitors) == 1 and sum(m.ended for m in monitors) == 1
    item = console.feed.get(opened.id)
    assert item is not None and item.entry_ids, "a HIGH alarm that ended still waits for staff to acknowledge it"
    assert not await redis.hexists(offline_key(STREAM), "cam-7")
    await redis.aclose()


async def test_a_second_outage_is_a_new_alarm(redis_url: str) -> None:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    monitor = NodeMonitor(redis, STREAM, offline_after_s=0.5, maxlen=10_000)
    monitor.start()
    for _ in range(2):
        sender = HeartbeatSender(redis_url, STREAM, Origin("cam-1", "rum 1"), interval_s=0.05)
        sender.start()
        await asyncio.sleep(0.6)
        await sender.stop()
        await asyncio.sleep(1.2)
    await monitor.stop()
    events = await _offline_events(redis)
    assert [e.state for e in events] == ["open", "ended", "open"]
    assert events[0].id == events[1].id != events[2].id
    await redis.aclose()


async def test_heartbeat_waits_for_redis_and_reports_spool_status(redis_url: str) -> None:
    sender = HeartbeatSender(
        "redis://127.0.0.1:1/0", STREAM, Origin("cam-2", "rum 2"), interval_s=0.05, status=lambda: {"dropped": 3}
    )
    sender.start()
    await asyncio.sleep(0.2)
    assert sender.sent == 0  # keeps trying, does not crash
    await sender.stop()
    working = HeartbeatSender(redis_url, STREAM, Origin("cam-2", "rum 2"), interval_s=1, status=lambda: {"dropped": 3})
    await working.beat()
    redis = aioredis.from_url(redis_url, decode_responses=True)
    assert '"dropped": 3' in (await redis.hget(f"{STREAM}:nodes", "cam-2") or "")
    await working.stop()
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
