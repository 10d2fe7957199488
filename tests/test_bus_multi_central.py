"""Two central instances on one Redis, over real HTTP: every console shows every event once, the same
acknowledged state, one winner when two staff acknowledge at once; the live stream ends with the login."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import uvicorn

from central.app import create_app
from central.db import open_store
from central.events.consumer import GROUP
from central.staff.service import upsert_staff
from nattvakt.events import Event, Severity
from nattvakt.redis_server import free_port
from nattvakt.settings import Settings
from tests.bus import wait_until
from tests.conftest import STAFF_PASSWORD
from tests.signed import node_fields

pytestmark = pytest.mark.usefixtures("staff_login")


@contextlib.asynccontextmanager
async def _central(settings: Settings, instance: str) -> AsyncIterator[str]:
    """One central instance (its own consumer name and port) served by uvicorn; yields its base URL."""
    port = free_port()
    own = settings.model_copy(
        update={"central": settings.central.model_copy(update={"instance": instance, "port": port})}
    )
    server = uvicorn.Server(uvicorn.Config(create_app(own), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started, 15)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


async def _logged_in(base: str, username: str = "anna") -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=base, timeout=10)
    response = await http.post("/api/login", json={"username": username, "password": STAFF_PASSWORD})
    assert response.status_code == 200, response.text
    return http


async def _follow(http: httpx.AsyncClient, into: list[tuple[str, dict[str, Any]]],
                  connected: asyncio.Event | None = None) -> None:
    """Collect (SSE event name, data) until the stream ends; `connected` is set once the server has subscribed it.

    The stream's `bus` messages (its sign of life every 2 s, saying only whether the bus is reached) are left out.
    """
    async with http.stream("GET", "/api/events/stream", timeout=None) as stream:
        assert stream.status_code == 200
        if connected is not None:
            connected.set()
        name = "message"
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:") and name != "bus":
                into.append((name, json.loads(line.removeprefix("data:"))))


async def test_two_instances_show_every_event_once_and_share_acknowledgements(settings: Settings) -> None:
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        upsert_staff(db, "bo", STAFF_PASSWORD, "night_staff")
    engine.dispose()
    redis = aioredis.from_url(settings.redis_url_or_default(), decode_responses=True)
    stream = settings.events_stream
    async with _central(settings, "central-a") as base_a, _central(settings, "central-b") as base_b:
        anna, bo = await _logged_in(base_a, "anna"), await _logged_in(base_b, "bo")
        seen_a: list[tuple[str, dict[str, Any]]] = []
        seen_b: list[tuple[str, dict[str, Any]]] = []
        connected = [asyncio.Event(), asyncio.Event()]
        followers = [asyncio.create_task(_follow(anna, seen_a, connected[0])),
                     asyncio.create_task(_follow(bo, seen_b, connected[1]))]
        await asyncio.wait_for(asyncio.gather(*(c.wait() for c in connected)), 10)
        events = [Event(node=f"n{i % 2}", room=f"r{i % 2}", kind="on_floor", severity=Severity.HIGH,
                        details={"n": i}) for i in range(10)]
        for event in events:
            fields = node_fields(settings, event)
            await redis.xadd(stream, fields)
        ids = [event.id for event in events]

        async def both_list_all() -> bool:
            lists = [(await http.get("/api/events")).json() for http in (anna, bo)]
            return all(sorted(entry["event"]["id"] for entry in listed) == sorted(ids) for listed in lists)

        await wait_until(both_list_all)
        await wait_until(lambda: len(seen_a) >= 10 and len(seen_b) >= 10)
        for seen in (seen_a, seen_b):
            streamed = [data["event"]["id"] for name, data in seen if name == "event"]
            assert sorted(streamed) == sorted(ids), "each console streams every event, each once"
        consumers: Any = await redis.xinfo_consumers(stream, GROUP)
        assert {c["name"] for c in consumers} <= {"central-a", "central-b"}

        # Acknowledged on A: B shows it too, with the same name, and the entry leaves the group's pending list.
        first = ids[0]
        response = await anna.post(f"/api/events/{first}/ack")
        assert response.status_code == 200 and response.json()["acknowledged_by"] == "anna"

        async def b_shows_ack() -> bool:
            listed = (await bo.get("/api/events")).json()
            return any(e["event"]["id"] == first and e["acknowledged_by"] == "anna" for e in listed)

        await wait_until(b_shows_ack)
        await wait_until(lambda: any(n == "event" and d["event"]["id"] == first and d["acknowledged_by"] == "anna"
                                     for n, d in seen_b))

        # Two staff press at once, one on each instance: one acknowledgement counts, both are told who.
        second = ids[1]
        replies = await asyncio.gather(anna.post(f"/api/events/{second}/ack"), bo.post(f"/api/events/{second}/ack"))
        assert [reply.status_code for reply in replies] == [200, 200]
        winners = {reply.json()["acknowledged_by"] for reply in replies}
        assert len(winners) == 1 and winners <= {"anna", "bo"}
        notices: Any = await redis.xrange(f"{stream}:acks")
        assert [fields["event_id"] for _id, fields in notices] == [first, second], "one record per event"

        async def pending_is(count: int) -> bool:
            summary: Any = await redis.xpending(stream, GROUP)
            return bool(summary["pending"] == count)

        await wait_until(lambda: pending_is(8))
        for follower in followers:
            follower.cancel()
        await asyncio.gather(*followers, return_exceptions=True)
        await anna.aclose()
        await bo.aclose()
    await redis.aclose()


async def test_the_live_stream_ends_when_the_login_does(settings: Settings) -> None:
    redis = aioredis.from_url(settings.redis_url_or_default(), decode_responses=True)
    async with _central(settings, "central-a") as base:
        anna = await _logged_in(base)
        seen: list[tuple[str, dict[str, Any]]] = []
        connected = asyncio.Event()
        follower = asyncio.create_task(_follow(anna, seen, connected))
        await asyncio.wait_for(connected.wait(), 10)
        before = Event(node="n1", room="r1", kind="on_floor", severity=Severity.HIGH)
        fields = node_fields(settings, before)
        await redis.xadd(settings.events_stream, fields)
        await wait_until(lambda: len(seen) == 1)
        # Logged out elsewhere (another tab): the session is gone from the database.
        other_tab = httpx.AsyncClient(base_url=base, cookies=anna.cookies)
        assert (await other_tab.post("/api/logout")).status_code == 204
        after = Event(node="n1", room="r1", kind="on_floor", severity=Severity.HIGH)
        fields = node_fields(settings, after)
        await redis.xadd(settings.events_stream, fields)
        await asyncio.wait_for(follower, 10)  # the server ended the stream
        assert [name for name, _data in seen] == ["event", "session_ended"]
        assert seen[0][1]["event"]["id"] == before.id, "nothing after the logout reached the logged-out console"
        await other_tab.aclose()
        await anna.aclose()
    await redis.aclose()


async def test_open_streams_do_not_hold_database_connections(settings: Settings) -> None:
    async with _central(settings, "central-a") as base:
        anna = await _logged_in(base)
        connected = [asyncio.Event() for _ in range(20)]
        streams = [asyncio.create_task(_follow(anna, [], c)) for c in connected]  # more than the pool's 5 + 10
        await asyncio.wait_for(asyncio.gather(*(c.wait() for c in connected)), 20)
        assert not any(task.done() for task in streams)
        response = await anna.get("/api/events", timeout=10)  # would wait 30 s for a free connection otherwise
        assert response.status_code == 200
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
        await anna.aclose()
