"""Malformed stream entries are parked with their reason, acknowledged, counted and shown to ops."""

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
from tests.conftest import STAFF_PASSWORD

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
    for fields, _reason in BAD_ENTRIES:
        await redis.xadd(settings.events_stream, fields)  # type: ignore[arg-type]
    good_fields: Any = GOOD.to_stream_fields()
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
