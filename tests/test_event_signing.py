"""Events on the bus are signed by their node (issue 19): whoever can write to Redis can neither end another room's
open HIGH alarm nor inject one, nor flood central with huge entries. Central (the ASGI app with its lifespan, a real
Redis) parks what fails, raises one HIGH alarm for ops per claimed node, and still shows the node's own revisions."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from camera_node.publisher import open_publisher
from central.db import open_store
from central.events.verification import EventVerifier
from central.staff.service import upsert_staff
from nattvakt.consent_transport import master_key
from nattvakt.events import Event, Severity, decode_stream_entry
from nattvakt.settings import NodeSettings, Settings, SettingsError
from privacy.event_signing import signer_for
from tests.conftest import STAFF_PASSWORD
from tests.signed import node_fields


async def _feed(client: httpx.AsyncClient, predicate: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for _ in range(200):
        entries = (await client.get("/api/events")).json()
        if predicate(entries):
            return entries
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not met; feed is {entries}")


async def test_forged_unsigned_cross_node_and_huge_revisions_are_parked_and_reported(
    client: httpx.AsyncClient, settings: Settings, staff_login: dict[str, str]
) -> None:
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        upsert_staff(db, "olle", STAFF_PASSWORD, "ops")
    engine.dispose()
    bus = aioredis.from_url(settings.redis_url_or_default(), decode_responses=True)
    assert (await client.post("/api/login", json=staff_login)).status_code == 200
    fall = Event(node="n1", room="rum-1", kind="on_floor", severity=Severity.HIGH)
    await bus.xadd(settings.events_stream, node_fields(settings, fall))
    await _feed(client, lambda e: [x["event"]["id"] for x in e] == [fall.id])

    ended = fall.model_copy(update={"state": "ended", "seq": 1, "ended_at": fall.started_at})
    attacks: list[Any] = [
        ended.to_stream_fields(),  # unsigned: anyone who can write to Redis
        node_fields(settings, ended) | {"sig": secrets.token_hex(32)},  # a made-up signature
        signer_for(secrets.token_bytes(32), "n1").fields(ended),  # signed with a guessed key
        signer_for(master_key(settings, create=False) or b"", "n2").fields(ended),  # n2's real key, n1's alarm
        node_fields(settings, Event(node="n1", room="rum-1", kind="on_floor", severity=Severity.HIGH,
                                    details={"pad": "x" * 2_000_000})),  # 2 MB
    ]
    for entry in attacks:
        await bus.xadd(settings.events_stream, entry)

    # The alarm for ops: one per node named (n2 proved by its signature), however many forgeries; signed by central.
    await _feed(client, lambda e: sum(x["event"]["kind"] == "camera_fault" for x in e) == 2)
    await asyncio.sleep(0.5)  # every bad entry has been read by now
    entries = (await client.get("/api/events")).json()
    by_id = {x["event"]["id"]: x["event"] for x in entries}
    assert by_id[fall.id]["state"] == "open", "the fall is still open: no forged end was taken"
    faults = [e for e in by_id.values() if e["kind"] == "camera_fault"]
    assert sorted((f["node"], f["severity"], f["details"]["fault"]) for f in faults) == [
        ("n1", Severity.HIGH, "events_failed_verification"), ("n2", Severity.HIGH, "events_failed_verification")]
    assert any("events from node n2 failed verification" in f["details"]["message"] for f in faults)
    assert len(by_id) == 3, "nothing else was shown"

    await client.post("/api/login", json={"username": "olle", "password": STAFF_PASSWORD})
    report = (await client.get("/api/ops/dead-letters")).json()
    assert report["counts"] == {"unsigned": 1, "bad_signature": 2, "wrong_node": 1, "too_large": 1}
    assert report["parked_here"] == 5

    # The node's own, signed end is taken.
    await client.post("/api/login", json=staff_login)
    await bus.xadd(settings.events_stream, node_fields(settings, ended))
    await _feed(client, lambda e: any(x["event"]["id"] == fall.id and x["event"]["state"] == "ended" for x in e))
    await bus.aclose()


def test_a_node_without_an_event_key_refuses_to_start(tmp_path: Path) -> None:
    alone = Settings(data_dir=tmp_path, consent_key=None, node=NodeSettings(node_id="rum-3"))
    with pytest.raises(SettingsError, match="NATTVAKT_NODE__EVENT_KEY"):
        open_publisher(alone)


def test_a_changed_byte_fails_verification() -> None:
    """A node's own entry decodes as it would without the check; one changed word in it does not."""
    master = secrets.token_bytes(32)
    verifier = EventVerifier(master, 16_384)
    event = Event(node="n7", room="rum-7", kind="motion", details={"score": 0.1})
    fields = signer_for(master, "n7").fields(event)
    assert verifier.decode(fields) == decode_stream_entry(fields)
    flipped = {**fields, "event": fields["event"].replace("rum-7", "rum-8")}
    with pytest.raises(ValueError, match="bad_signature"):
        verifier.decode(flipped)
