"""Review fixes in central's consumer: unhashable fields, a dead consumer task, trimmed pending entries."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import redis.asyncio as aioredis

from central.events.consumer import GROUP
from nattvakt.events import Event, Severity
from tests.bus import Console

GOOD = Event(node="n1", room="r1", kind="on_floor", severity=Severity.HIGH)


def _with(**changes: Any) -> dict[str, str]:
    return {"event": json.dumps({**GOOD.model_dump(mode="json"), **changes})}


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
    good: Any = GOOD.to_stream_fields()
    await redis.xadd(stream, good)
    async with Console(redis_url, stream) as console:
        shown = await console.until(1, limit_s=5)
        assert [event.id for event in shown] == [GOOD.id]
        assert console.consumer.alive
        counts = await console.consumer.dead_letters.counts()
        assert counts == {"unknown_kind": 2, "unknown_version": 2}
        pending: Any = await redis.xpending(stream, GROUP)
        assert pending["pending"] == 1, "only the good alarm waits for staff"
    await redis.aclose()


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

