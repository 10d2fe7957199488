"""Shared steps of the visits tests: a recipient whose check-in is due now, events on the stream, waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import httpx
import redis.asyncio as aioredis

from nattvakt.events import Event
from nattvakt.settings import Settings
from tests.conftest import Api
from tests.recipients import new_recipient, terms

T = TypeVar("T")


async def due_recipient(api: Api, phone: str = "+46 70 123 45 67", node: str = "node-a", **scope: Any) -> int:
    """A recipient with a camera, consent whose window is open now, and a phone number."""
    rid = await new_recipient(api, node)
    assert (await api.nurse.post(f"/api/recipients/{rid}/consent", json=terms(**scope))).status_code == 201
    assert (await api.nurse.put(f"/api/recipients/{rid}/contact", json={"phone": phone})).status_code == 200
    return rid


async def slots(client: httpx.AsyncClient, rid: int) -> list[dict[str, Any]]:
    response = await client.get("/api/tonight")
    assert response.status_code == 200, response.text
    (mine,) = [r for r in response.json()["recipients"] if r["id"] == rid]
    found: list[dict[str, Any]] = mine["slots"]
    return found


async def document(client: httpx.AsyncClient, rid: int, slot_at: str, outcome: str) -> None:
    response = await client.post("/api/checkins/outcome",
                                 json={"recipient_id": rid, "slot_at": slot_at, "outcome": outcome})
    assert response.status_code == 201, response.text


async def tasks(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/visits")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def publish(settings: Settings, event: Event) -> None:
    redis = aioredis.from_url(settings.redis_url_or_default(), decode_responses=True)
    fields: dict[Any, Any] = event.to_stream_fields()
    await redis.xadd(settings.events_stream, fields)
    await redis.aclose()


async def until(probe: Callable[[], Awaitable[T | None]], within_s: float = 10) -> T:
    """Poll `probe` until it gives something (a visit made by the watch, an alarm on the feed)."""
    async with asyncio.timeout(within_s):
        while True:
            found = await probe()
            if found is not None:
                return found
            await asyncio.sleep(0.05)


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)
