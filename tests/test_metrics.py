"""Central's /readyz and Prometheus /metrics against a real Redis and store."""

from __future__ import annotations

import asyncio
import re

import httpx
import redis.asyncio as aioredis

from central.app import create_app
from nattvakt.events import Event, Severity
from nattvakt.redis_server import free_port
from nattvakt.settings import Settings
from tests.signed import node_fields, signed_raw


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text format, or None."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}{re.escape('{' + wanted + '}') if labels else ''} (\S+)$"
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else None


async def _until(client: httpx.AsyncClient, name: str, value: float, **labels: str) -> str:
    text = ""
    async with asyncio.timeout(5):
        while _sample(text, name, **labels) != value:
            await asyncio.sleep(0.05)
            text = (await client.get("/metrics")).text
    return text


async def test_readyz_and_metrics_count_events_logins_and_failures(
    client: httpx.AsyncClient, settings: Settings, staff_login: dict[str, str]
) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {
        "status": "ready", "consumer": "running", "redis": "ok", "database": "ok"
    }
    first = await client.get("/metrics")
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/plain")
    assert _sample(first.text, "nattvakt_consumer_up") == 1.0

    redis = aioredis.from_url(settings.redis_url_or_default(), decode_responses=True)
    for kind, severity in (("on_floor", Severity.HIGH), ("bed_exit", Severity.MEDIUM), ("on_floor", Severity.HIGH)):
        fields = node_fields(settings, Event(node="n1", room="r1", kind=kind, severity=severity))
        await redis.xadd(settings.events_stream, fields)
    await redis.xadd(settings.events_stream, signed_raw(settings, "n1", {"event": "{not json"}))
    await redis.aclose()
    text = await _until(client, "nattvakt_events_total", 2.0, kind="on_floor", severity="HIGH")
    assert _sample(text, "nattvakt_events_total", kind="bed_exit", severity="MEDIUM") == 1.0
    text = await _until(client, "nattvakt_dead_letters_total", 1.0)
    assert _sample(text, "nattvakt_events_unacknowledged", severity="HIGH") == 2.0

    bad = await client.post("/api/login", json={**staff_login, "password": "fel"})
    assert bad.status_code == 401
    good = await client.post("/api/login", json=staff_login)
    assert good.status_code == 200
    text = (await client.get("/metrics")).text
    assert _sample(text, "nattvakt_audit_records_total", kind="login_failed") == 1.0
    assert _sample(text, "nattvakt_audit_records_total", kind="login") == 1.0
    assert _sample(text, "nattvakt_lookins_live") == 0.0


async def test_readyz_says_which_dependency_is_down(settings: Settings) -> None:
    """Redis unreachable: not ready (503), naming Redis; the process itself stays up."""
    away = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    app = create_app(away)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "not_ready" and body["redis"].startswith("unreachable")
        assert body["database"] == "ok"
        assert _sample((await http.get("/metrics")).text, "nattvakt_redis_connected") == 0.0
