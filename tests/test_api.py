"""Console API against a real Redis, through the ASGI app with its lifespan running."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import redis.asyncio as aioredis

from central.events.consumer import GROUP
from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from tests.signed import node_fields, signed_raw


async def _login(client: httpx.AsyncClient, login: dict[str, str]) -> None:
    response = await client.post("/api/login", json=login)
    assert response.status_code == 200, response.text
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=strict" in response.headers["set-cookie"].lower()


async def _wait_for(client: httpx.AsyncClient, predicate: Any) -> list[dict[str, Any]]:
    """Poll the feed until `predicate` holds (at most 5 s)."""
    entries: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(5):
            while True:
                entries = (await client.get("/api/events")).json()
                if predicate(entries):
                    return entries
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"condition not met; feed is {entries}") from None


async def test_events_need_a_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/events")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401


async def test_wrong_password_is_generic(client: httpx.AsyncClient, staff_login: dict[str, str]) -> None:
    wrong_pw = await client.post("/api/login", json={**staff_login, "password": "nope-nope"})
    no_user = await client.post("/api/login", json={"username": "ghost", "password": "nope-nope"})
    assert wrong_pw.status_code == no_user.status_code == 401
    assert wrong_pw.json()["detail"] == no_user.json()["detail"] == "wrong username or password"


async def test_malformed_login_is_4xx(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/login", content=b"{not json", headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500


async def test_event_flows_from_stream_to_feed_and_ack_clears_pending(
    client: httpx.AsyncClient, settings: Settings, staff_login: dict[str, str]
) -> None:
    await _login(client, staff_login)
    assert (await client.get("/api/me")).json()["role"] == "night_staff"
    redis = aioredis.from_url(settings.redis_url_or_default(), decode_responses=True)
    event = Event(node="n1", room="r1", kind="bed_exit", severity=Severity.HIGH)
    fields = node_fields(settings, event)
    await redis.xadd(settings.events_stream, fields)
    await redis.xadd(settings.events_stream, fields)  # delivered twice: shown once

    entries = await _wait_for(client, lambda e: len(e) == 1)
    assert entries[0]["event"]["id"] == event.id and entries[0]["acknowledged_by"] is None
    pending = await redis.xpending(settings.events_stream, GROUP)
    assert pending["pending"] == 2, "nothing is acknowledged before staff act"

    response = await client.post(f"/api/events/{event.id}/ack")
    assert response.status_code == 200 and response.json()["acknowledged_by"] == "anna"
    assert (await redis.xpending(settings.events_stream, GROUP))["pending"] == 0
    await redis.aclose()


async def test_ended_informational_event_is_auto_resolved(
    client: httpx.AsyncClient, settings: Settings, staff_login: dict[str, str]
) -> None:
    await _login(client, staff_login)
    redis = aioredis.from_url(settings.redis_url_or_default(), decode_responses=True)
    opened = Event(node="n1", room="r1", kind="motion")
    ended = opened.model_copy(update={"state": "ended", "seq": 1})
    for e in (opened, ended):
        fields = node_fields(settings, e)
        await redis.xadd(settings.events_stream, fields)
    await _wait_for(client, lambda e: len(e) == 1 and e[0]["event"]["state"] == "ended")
    assert (await redis.xpending(settings.events_stream, GROUP))["pending"] == 0
    await redis.aclose()


async def test_malformed_entry_does_not_block_the_events_behind_it(
    client: httpx.AsyncClient, settings: Settings, staff_login: dict[str, str]
) -> None:
    await _login(client, staff_login)
    redis = aioredis.from_url(settings.redis_url_or_default(), decode_responses=True)
    await redis.xadd(settings.events_stream, signed_raw(settings, "n1", {"event": "{not json"}))
    await redis.xadd(settings.events_stream, signed_raw(settings, "n1", {"something": "else"}))
    good = Event(node="n1", room="r1", kind="on_floor", severity=Severity.HIGH)
    fields = node_fields(settings, good)
    await redis.xadd(settings.events_stream, fields)
    entries = await _wait_for(client, lambda e: len(e) == 1)
    assert entries[0]["event"]["kind"] == "on_floor"
    await redis.aclose()


async def test_ack_of_unknown_event_is_404_problem(client: httpx.AsyncClient, staff_login: dict[str, str]) -> None:
    await _login(client, staff_login)
    response = await client.post("/api/events/01NOSUCHEVENT/ack")
    assert response.status_code == 404
    assert "01NOSUCHEVENT" in response.json()["detail"]


async def test_logout_ends_the_session(client: httpx.AsyncClient, staff_login: dict[str, str]) -> None:
    await _login(client, staff_login)
    assert (await client.post("/api/logout")).status_code == 204
    assert (await client.get("/api/events")).status_code == 401


async def test_the_console_gets_the_home_timezone_from_the_api(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/console")
    assert response.status_code == 200 and response.json() == {"home_timezone": "Europe/Stockholm"}


async def test_healthz_reports_a_dead_consumer_task(client: httpx.AsyncClient) -> None:
    transport: Any = client._transport
    app = transport.app
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json()["consumer"] == "running"
    task = app.state.consumer._task
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["consumer"] == "dead"
