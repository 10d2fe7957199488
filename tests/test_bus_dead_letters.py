"""Malformed stream entries (unhashable fields too) and entries trimmed while pending are parked with their reason,
acknowledged, counted and shown to ops; the consumer lives on."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import redis.asyncio as aioredis

from camera_node.heartbeat import HeartbeatSender
from central.db import open_store
from central.events.consumer import GROUP
from central.staff.service import upsert_staff
from nattvakt.events import Event, Origin, Severity
from nattvakt.settings import Settings
from tests.bus import Console, wait_until
from tests.bus_processes import numbered_event
from tests.conftest import STAFF_PASSWORD
from tests.signed import node_fields, signed_raw

GOOD = Event(node="n1", room="r1", kind="on_floor", severity=Severity.HIGH)
BAD_ENTRIES: list[tuple[dict[str, str], str]] = [
    ({"event": "{not json"}, "not_json"),
    ({"something": "else"}, "no_event_field"),
    ({"event": "[1, 2]"}, "not_an_object"),
    ({"event": json.dumps({**GOOD.model_dump(mode="json"), "id": "x1", "kind": "teleported"})}, "unknown_kind"),
    ({"event": json.dumps({**GOOD.model_dump(mode="json"), "id": "x2", "schema_version": 99})}, "unknown_version"),
    ({"event": json.dumps({**GOOD.model_dump(mode="json"), "id": "x3", "severity": "very"})}, "invalid"),
    ({"event": json.dumps({**GOOD.model_dump(mode="json"), "id": "x4", "confidence": 7})}, "invalid"),
]


async def _login(client: httpx.AsyncClient, username: str) -> None:
    response = await client.post("/api/login", json={"username": username, "password": STAFF_PASSWORD})
    assert response.status_code == 200, response.text


async def test_malformed_entries_are_parked_acknowledged_and_visible_to_ops(
    client: httpx.AsyncClient, settings: Settings, staff_login: dict[str, str]
) -> None:
    engine, sessionmaker = open_store(settings.database_url)
    with sessionmaker() as db:
        upsert_staff(db, "olle", STAFF_PASSWORD, "ops")
    engine.dispose()
    redis = aioredis.from_url(settings.redis_url_or_default(), decode_responses=True)
    for fields, _reason in BAD_ENTRIES:  # signed by their node: the decoder, not the signature check, judges them
        await redis.xadd(settings.events_stream, signed_raw(settings, "n1", fields))
    good_fields = node_fields(settings, GOOD)
    await redis.xadd(settings.events_stream, good_fields)

    await _login(client, "anna")
    entries: list[dict[str, Any]] = []
    for _ in range(100):
        entries = (await client.get("/api/events")).json()
        if entries:
            break
        await asyncio.sleep(0.05)
    assert [entry["event"]["id"] for entry in entries] == [GOOD.id], "the good event behind the bad ones is shown"
    pending: Any = await redis.xpending(settings.events_stream, GROUP)
    assert pending["pending"] == 1, "every bad entry is acknowledged on the main stream; the alarm waits for staff"

    assert (await client.get("/api/ops/dead-letters")).status_code == 403, "night staff do not see ops views"
    await _login(client, "olle")
    report = (await client.get("/api/ops/dead-letters")).json()
    expected_counts: dict[str, int] = {}
    for _fields, reason in BAD_ENTRIES:
        expected_counts[reason] = expected_counts.get(reason, 0) + 1
    assert report["counts"] == expected_counts
    assert report["parked_here"] == len(BAD_ENTRIES)
    assert [letter["reason"] for letter in reversed(report["recent"])] == [reason for _f, reason in BAD_ENTRIES]
    kind_letter = next(letter for letter in report["recent"] if letter["reason"] == "unknown_kind")
    assert "'teleported'" in kind_letter["detail"] and "teleported" in kind_letter["fields"]
    assert kind_letter["consumer"] == settings.central.instance
    await redis.aclose()


async def test_ops_views_need_a_login(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/ops/dead-letters")).status_code == 401
    assert (await client.get("/api/ops/nodes")).status_code == 401


async def test_ops_see_each_nodes_last_heartbeat(
    client: httpx.AsyncClient, settings: Settings, staff_login: dict[str, str]
) -> None:
    engine, sessionmaker = open_store(settings.database_url)
    with sessionmaker() as db:
        upsert_staff(db, "olle", STAFF_PASSWORD, "ops")
    engine.dispose()
    sender = HeartbeatSender(
        settings.redis_url_or_default(), settings.events_stream, Origin("cam-3", "rum 3"), interval_s=60
    )
    await sender.beat()
    await sender.stop()
    await _login(client, "anna")
    response = await client.get("/api/ops/nodes")
    assert response.status_code == 403 and "'ops'" in response.json()["detail"]
    await _login(client, "olle")
    [node] = (await client.get("/api/ops/nodes")).json()
    assert node["node"] == "cam-3"
    assert abs((datetime.fromisoformat(node["last_seen"]) - datetime.now(UTC)).total_seconds()) < 5


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
        # The mirror may show 3 and 4 before the group reader has parked all three trimmed entries.
        await wait_until(lambda: console.consumer.dead_letters.parked >= 3, 5)
        assert await console.consumer.dead_letters.counts() == {"trimmed": 3}
        assert console.consumer.alive
    await redis.aclose()


WELL_FORMED = Event(node="n1", room="r1", kind="on_floor", severity=Severity.HIGH)


def _with(**changes: Any) -> dict[str, str]:
    return {"event": json.dumps({**WELL_FORMED.model_dump(mode="json"), **changes})}


async def test_unhashable_kind_or_version_is_parked_and_the_consumer_lives_on(redis_url: str) -> None:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    stream = "fix1:events"
    bad = [
        (_with(id="b1", kind=["motion"]), "unknown_kind"),
        (_with(id="b2", kind={"k": 1}), "unknown_kind"),
        (_with(id="b3", schema_version=[1]), "unknown_version"),
        (_with(id="b4", schema_version={"v": 1}), "unknown_version"),
    ]
    for fields, _reason in bad:
        await redis.xadd(stream, fields)  # type: ignore[arg-type]
    good: Any = WELL_FORMED.to_stream_fields()
    await redis.xadd(stream, good)
    async with Console(redis_url, stream) as console:
        shown = await console.until(1, limit_s=5)
        assert [event.id for event in shown] == [WELL_FORMED.id]
        assert console.consumer.alive
        counts = await console.consumer.dead_letters.counts()
        assert counts == {"unknown_kind": 2, "unknown_version": 2}
        pending: Any = await redis.xpending(stream, GROUP)
        assert pending["pending"] == 1, "only the good alarm waits for staff"
    await redis.aclose()
