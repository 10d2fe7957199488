"""A login flood (issue 19): refused per client address before any password check, and alarms keep reaching the
console while strangers hammer `POST /api/login` from many addresses. Central runs as a real process; attempts come
from distinct loopback addresses (127.0.1.x) as from distinct machines."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import select

from central.audit.models import AuditEntry
from central.db import open_store
from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from tests.conftest import STAFF_PASSWORD
from tests.processes import central_running
from tests.signed import node_fields

pytestmark = pytest.mark.slow


def _from(base: str, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, timeout=60, transport=httpx.AsyncHTTPTransport(local_address=address))


async def _stranger(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post("/api/login", json={"username": secrets.token_hex(5), "password": secrets.token_hex(8)})


def _audit(settings: Settings, kind: str) -> list[AuditEntry]:
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        rows = list(db.scalars(select(AuditEntry).where(AuditEntry.kind == kind)))
    engine.dispose()
    return rows


async def test_a_flood_from_one_address_is_refused_before_any_password_check(
    settings: Settings, staff_login: dict[str, str], tmp_path: Path
) -> None:
    with central_running(settings, tmp_path, central__login_client_attempts="5") as base:
        async with _from(base, "127.0.1.7") as attacker, _from(base, "127.0.1.8") as colleague:
            answers = await asyncio.gather(*(_stranger(attacker) for _ in range(30)))
            codes = Counter(a.status_code for a in answers)
            assert codes[401] <= 5 and codes[429] >= 25 and set(codes) <= {401, 429}, codes
            refused = next(a for a in answers if a.status_code == 429)
            assert "from this address" in refused.json()["detail"]
            assert 1 <= int(refused.headers["retry-after"]) <= 300  # the login page counts this down
            right = await attacker.post("/api/login", json=staff_login)
            assert right.status_code == 429, "the flooded address waits, even with a right password"
            assert (await colleague.post("/api/login", json=staff_login)).status_code == 200, "others log in"
    assert len(_audit(settings, "login_failed")) <= 5, "only admitted attempts were checked and recorded"
    throttled = _audit(settings, "login_throttled")
    assert [json.loads(r.details)["client"] for r in throttled] == ["127.0.1.7"], "the flood: one record"


async def test_alarms_reach_the_console_while_logins_flood_in_from_many_addresses(
    settings: Settings, staff_login: dict[str, str], tmp_path: Path
) -> None:
    with central_running(settings, tmp_path) as base:
        strangers = [_from(base, f"127.0.1.{i}") for i in range(1, 61)]
        bus = aioredis.Redis.from_url(settings.redis_url_or_default())
        async with _from(base, "127.0.0.1") as nurse:
            assert (await nurse.post("/api/login", json={"username": "anna", "password": STAFF_PASSWORD})).is_success
            async with nurse.stream("GET", "/api/events/stream", timeout=httpx.Timeout(60, read=None)) as stream:
                lines = stream.aiter_lines()
                async for line in lines:  # subscribed once the bus state is announced
                    if line.startswith("event:") and line.removeprefix("event:").strip() == "bus":
                        break
                flood = [asyncio.create_task(_stranger(c)) for _ in range(2) for c in strangers]
                await asyncio.sleep(0.3)  # the flood has arrived and is being worked on
                alarm = Event(node="n1", room="B3", kind="on_floor", severity=Severity.HIGH)
                sent = time.monotonic()
                await bus.xadd(settings.events_stream, node_fields(settings, alarm))
                kind = ""
                async for line in lines:
                    if line.startswith("event:"):
                        kind = line.removeprefix("event:").strip()
                    elif line.startswith("data:") and kind == "event" and alarm.id in line:
                        break
                took = time.monotonic() - sent
                answers = await asyncio.gather(*flood)
        await bus.aclose()
        await asyncio.gather(*(c.aclose() for c in strangers))
    codes = Counter(a.status_code for a in answers)
    assert set(codes) <= {401, 429}, codes
    assert codes[429] > 0 and all("at once" in a.json()["detail"] for a in answers if a.status_code == 429), codes
    assert took < 5, f"the HIGH alarm took {took:.1f} s to reach the console during the flood ({codes})"
