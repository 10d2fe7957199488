"""The node's signed consent copy over a real Redis: accepted, refused with an alarm, replay-proof, and fast."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import redis

from camera_node.consent_sync import ConsentWatcher
from central.app import create_app
from central.db import open_store
from central.staff.service import upsert_staff
from nattvakt.consent_transport import STORE_IF_NEWER, copy_key, notify_channel
from nattvakt.events import Event
from nattvakt.settings import NodeSettings, Settings
from nattvakt.types import Action
from privacy.consent_model import Consent, ConsentScope, Grantor, GrantorRole
from privacy.consent_signing import derive_node_key, node_key, sign_copy

MASTER = b"test-master-key-0123456789abcdef"
NODE = "node-s"


def consent(version: int, kinds: frozenset[str]) -> Consent:
    start = datetime.now(UTC) - timedelta(days=1)
    return Consent(
        given_by=(Grantor(role=GrantorRole.RECIPIENT, name="Greta"),), given_at=start, valid_from=start,
        scope=ConsentScope.model_validate({"event_kinds": kinds, "privacy_level": "silhouette"}),
        recipient_id=1, version=version, recorded_at=start, recorded_by="sara",
    )


def publish(url: str, raw: str, version: int, *, bypass_version_check: bool = False) -> None:
    client = redis.Redis.from_url(url, decode_responses=True)
    if bypass_version_check:  # what an attacker with Redis access could do
        client.hset(copy_key(NODE), mapping={"version": version, "copy": raw})
        client.publish(notify_channel(NODE), str(version))
    else:
        client.register_script(STORE_IF_NEWER)(keys=[copy_key(NODE), notify_channel(NODE)], args=[version, raw])
    client.close()


async def wait_for(predicate: Callable[[], bool], within_s: float = 2.0) -> float:
    """Seconds until `predicate()` holds (polled: the watcher has no hook for every condition tested here)."""
    began = time.monotonic()
    while not predicate():
        if time.monotonic() - began > within_s:
            raise AssertionError(f"condition not met within {within_s} s")
        await asyncio.sleep(0.01)
    return time.monotonic() - began


async def test_copy_is_accepted_and_bad_copies_raise_alarms(redis_url: str, tmp_path: Path) -> None:
    alarms: list[Event] = []
    key = derive_node_key(MASTER, NODE)
    watcher = ConsentWatcher(redis_url, NODE, "rum-7", key, tmp_path, alarms.append, recheck_s=0.5)
    now = datetime.now(UTC)
    assert not watcher.decide(now, Action.EVENT_LOOKIN, "on_floor").allowed
    assert watcher.decide(now, Action.DETECTION).code == "no_valid_copy", "no copy: local detection only"
    watcher.start()
    try:
        v1 = sign_copy(key, NODE, 1, consent(1, frozenset({"on_floor"})), now)
        publish(redis_url, v1, 1)
        await wait_for(lambda: watcher.copy is not None)
        decision = watcher.decide(datetime.now(UTC), Action.EVENT_LOOKIN, "on_floor")
        assert decision.allowed and decision.level == "silhouette"

        forged = sign_copy(derive_node_key(b"not-the-master-key-at-all!!", NODE), NODE, 2,
                           consent(2, frozenset({"on_floor", "motion"})), now)
        publish(redis_url, forged, 2)
        await wait_for(lambda: len(alarms) == 1)
        assert alarms[0].kind == "camera_fault" and alarms[0].details["reason"] == "bad_signature"
        assert watcher.copy is not None and watcher.copy.copy_version == 1, "the last good copy stays"
        assert not watcher.decide(datetime.now(UTC), Action.EVENT_LOOKIN, "motion").allowed

        v3 = sign_copy(key, NODE, 3, consent(3, frozenset({"bed_exit"})), now)
        publish(redis_url, v3, 3, bypass_version_check=True)
        await wait_for(lambda: watcher.copy is not None and watcher.copy.copy_version == 3)
        publish(redis_url, v1, 1, bypass_version_check=True)  # replay of an older, still correctly signed copy
        await wait_for(lambda: len(alarms) == 2)
        assert alarms[1].details["reason"] == "stale"
        assert watcher.decide(datetime.now(UTC), Action.EVENT_LOOKIN, "bed_exit").allowed
        assert not watcher.decide(datetime.now(UTC), Action.EVENT_LOOKIN, "on_floor").allowed

        other = sign_copy(derive_node_key(MASTER, "node-other"), "node-other", 9, None, now)
        publish(redis_url, other, 9, bypass_version_check=True)
        await wait_for(lambda: len(alarms) == 3)
        assert alarms[2].details["reason"] in ("bad_signature", "wrong_node")
        await asyncio.sleep(1.2)
        assert len(alarms) == 3, "a bad copy read again raises no second alarm"
    finally:
        await watcher.stop()

    # A restarted node remembers the newest version it accepted, so the old copy is still refused.
    restarted = ConsentWatcher(redis_url, NODE, "rum-7", key, tmp_path, alarms.append)
    publish(redis_url, v1, 1, bypass_version_check=True)
    restarted.start()
    try:
        assert restarted.copy is not None and restarted.copy.copy_version == 3
        await wait_for(lambda: len(alarms) == 4)
        assert alarms[3].details["reason"] == "stale"
    finally:
        await restarted.stop()


async def test_node_without_key_refuses_lookins(redis_url: str, tmp_path: Path) -> None:
    watcher = ConsentWatcher(redis_url, NODE, "rum-7", None, tmp_path, lambda _e: None)
    watcher.start()
    try:
        assert not watcher.offer(sign_copy(derive_node_key(MASTER, NODE), NODE, 1, None, datetime.now(UTC)), "test")
        assert not watcher.decide(datetime.now(UTC), Action.SCHEDULED_LOOKIN).allowed
    finally:
        await watcher.stop()


async def test_central_change_reaches_the_node_within_a_second(settings: Settings, tmp_path: Path) -> None:
    """Central (the real app) and a node watcher sharing only Redis and the key file in the data dir."""
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        upsert_staff(db, "sara", "natt-test-lösen", "nurse_admin")
    engine.dispose()
    node_settings = settings.model_copy(update={"node": NodeSettings(node_id=NODE, room="rum-7")})
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        await http.post("/api/login", json={"username": "sara", "password": "natt-test-lösen"})
        rid = (await http.post("/api/recipients", json={"name": "Greta", "room": "rum-7"})).json()["id"]
        await http.put(f"/api/nodes/{NODE}", json={"recipient_id": rid})
        watcher = ConsentWatcher.for_node(node_settings, lambda _e: None)
        assert node_key(node_settings) is not None
        watcher.start()
        try:
            start = (datetime.now(UTC) - timedelta(days=1)).isoformat()
            body = {"given_by": [{"role": "recipient", "name": "Greta"}], "given_at": start, "valid_from": start,
                    "scope": {"event_kinds": ["on_floor"], "privacy_level": "heavy_blur"}}
            assert (await http.post(f"/api/recipients/{rid}/consent", json=body)).status_code == 201
            allowed = await wait_for(lambda: watcher.decide(datetime.now(UTC), "event_lookin", "on_floor").allowed)
            began = time.monotonic()
            await http.post(f"/api/recipients/{rid}/consent/withdraw", json={"withdrawn_by": "Greta"})
            await wait_for(lambda: watcher.decide(datetime.now(UTC), "event_lookin", "on_floor").code == "withdrawn",
                           within_s=1.0)
            print(f"consent reached the node in {allowed:.3f} s; withdrawal in {time.monotonic() - began:.3f} s")
        finally:
            await watcher.stop()
