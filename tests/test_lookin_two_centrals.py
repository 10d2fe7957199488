"""Any central instance opens any look-in: two real central processes on one Redis and one database, a node (real
capture of real footage) whose control channel is on one of them, and staff whose requests land on the other. The
offer, the node's answer, the state polls and the close travel between the instances through Redis
(`central.lookins.relay`); an aiortc viewer in the browser's place gets the frames. And when the instance holding
the node's channel dies, the node reconnects (through a round-robin balancer) to the other, which takes its live
look-in over.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis
from sqlalchemy import select

from camera_node.consent_sync import ConsentWatcher
from camera_node.lookin_runtime import LookinRuntime
from central.audit.models import AuditEntry
from central.db import open_store
from central.staff.service import upsert_staff
from nattvakt.consent_transport import copy_key
from nattvakt.events import Event, Severity
from nattvakt.redis_server import RedisServer, free_port
from nattvakt.settings import CentralSettings, NodeSettings, Settings
from tests.lookin_parts import Viewer, camera, face_clip
from tests.processes import nattvakt_env, spawn, stop, wait_http
from tests.signed import node_fields
from tests.tcp_balancer import balancer
from tests.test_lookin_central import PASSWORD, logged_in, terms

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
NODE = "node-two"


@dataclass
class Pair:
    settings: Settings
    near: httpx.AsyncClient
    """Night staff on the instance that holds the node's channel."""
    far: httpx.AsyncClient
    """Night staff on the other instance."""
    runtime: LookinRuntime
    centrals: dict[str, subprocess.Popen[bytes]]
    """Instance name -> its process."""

    def publish(self, event: Event) -> None:
        client = redis.Redis.from_url(self.settings.redis_url_or_default())
        client.xadd(self.settings.events_stream, node_fields(self.settings, event))
        client.close()

    async def event_listed(self, client: httpx.AsyncClient, event: Event) -> None:
        for _ in range(100):
            if any(e["event"]["id"] == event.id for e in (await client.get("/api/events")).json()):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"event {event.id} never reached {client.base_url}")

    async def on_floor(self) -> Event:
        event = Event(node=NODE, room="rum-7", kind="on_floor", severity=Severity.HIGH)
        self.publish(event)
        await self.event_listed(self.near, event)
        await self.event_listed(self.far, event)
        return event

    def audit(self, lookin_id: str) -> list[tuple[str, dict[str, Any]]]:
        engine, sessions = open_store(self.settings.database_url)
        with sessions() as db:
            rows = [(r.kind, json.loads(r.details)) for r in db.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
        engine.dispose()
        return [row for row in rows if row[1].get("lookin_id") == lookin_id]


@contextlib.asynccontextmanager
async def two_centrals(redis_server: RedisServer, tmp: Path, node_port: int | None = None) -> AsyncIterator[Pair]:
    """central-a and central-b; the node connects to central-a, or to `node_port` (a balancer in front of both).
    `near` is staff on the instance holding the node's channel, `far` on the other."""
    ports = free_port(), free_port()
    settings = Settings(
        redis_url=redis_server.url, database_url=f"sqlite:///{tmp / 'nattvakt.db'}", data_dir=tmp,
        events_stream=f"{tmp.name}:events",  # its own stream: nothing left over from another pair of centrals
        central=CentralSettings(port=node_port or ports[0], lookin_answer_timeout_s=5),
        node=NodeSettings(node_id=NODE, room="rum-7", fps=10, lookin_ice_timeout_s=5),
    )
    # A signed copy left by another pair is signed with that pair's master key: the node must not keep it.
    redis.Redis.from_url(redis_server.url).delete(copy_key(NODE))
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        upsert_staff(db, "sara", PASSWORD, "nurse_admin")
        upsert_staff(db, "nils", PASSWORD, "night_staff")
    engine.dispose()

    def env(instance: str, port: int) -> dict[str, str]:  # one data folder: one master key for both
        return nattvakt_env(redis_url=redis_server.url, database_url=settings.database_url, data_dir=str(tmp),
                            events_stream=settings.events_stream, central__port=str(port),
                            central__instance=instance, central__lookin_answer_timeout_s="5")

    bases = {"central-a": f"http://127.0.0.1:{ports[0]}", "central-b": f"http://127.0.0.1:{ports[1]}"}
    async with contextlib.AsyncExitStack() as stack:
        centrals: dict[str, subprocess.Popen[bytes]] = {}
        for name, port in zip(bases, ports, strict=True):  # one after the other: the first makes the master key
            centrals[name] = process = spawn(["central"], env(name, port), tmp / f"{name}.log")
            stack.callback(stop, process)
            # A cold start on a shared, loaded 2-core machine: allow more than the usual 30 s.
            await asyncio.to_thread(wait_http, f"{bases[name]}/healthz", process, tmp / f"{name}.log", 120)
        if node_port is not None:
            await stack.enter_async_context(balancer(node_port, list(ports)))
        nurse = await logged_in(bases["central-b"], "sara")
        rid = (await nurse.post("/api/recipients", json={"name": "Greta", "room": "rum-7"})).json()["id"]
        assert (await nurse.post(f"/api/recipients/{rid}/consent", json=terms())).status_code == 201
        assert (await nurse.put(f"/api/nodes/{NODE}", json={"recipient_id": rid})).status_code == 200
        watcher = ConsentWatcher.for_node(settings, lambda _event: None)
        watcher.start()
        with camera(NODE, str(face_clip())) as pipeline:
            runtime = LookinRuntime.for_node(settings, watcher, pipeline)
            runtime.start()
            await asyncio.wait_for(runtime.channel.connected.wait(), 10)
            for _ in range(100):
                owner = await owner_of(settings)
                if watcher.copy is not None and owner is not None:
                    break
                await asyncio.sleep(0.05)
            assert owner is not None, "the node's channel was never registered"
            other = "central-b" if owner == "central-a" else "central-a"
            near, far = await logged_in(bases[owner], "nils"), await logged_in(bases[other], "nils")
            yield Pair(settings, near, far, runtime, centrals)
            await runtime.stop()
            for client in (near, far):
                await client.aclose()
        await watcher.stop()
        await nurse.aclose()
        redis.Redis.from_url(redis_server.url).delete(settings.events_stream)


async def owner_of(settings: Settings) -> str | None:
    """The instance that registered the node's channel (read as any instance reads it)."""
    client = redis.Redis.from_url(settings.redis_url_or_default(), decode_responses=True)
    try:
        value = client.get(f"{settings.events_stream}:lookins:owner:{NODE}")
    finally:
        client.close()
    return str(value).split(" ", 1)[0] if value else None


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pair(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Pair]:
    async with two_centrals(redis_server, tmp_path_factory.mktemp("two-centrals")) as made:
        yield made


async def _opened(client: httpx.AsyncClient, viewer: Viewer, event: Event) -> dict[str, Any]:
    response = await client.post("/api/lookins", json={"sdp": await viewer.offer(), "event_id": event.id})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    await viewer.accept(body["sdp"])
    await asyncio.wait_for(viewer.first_frame.wait(), 10)
    return body


async def _state(client: httpx.AsyncClient, lookin_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await client.get(f"/api/lookins/{lookin_id}/state")).json()
    return found


async def test_a_lookin_asked_on_the_other_instance_streams_and_closes_from_either(pair: Pair) -> None:
    event = await pair.on_floor()
    viewer, second = Viewer(), Viewer()
    try:
        clicked = time.monotonic()
        body = await _opened(pair.far, viewer, event)
        first_s = viewer.arrivals[0] - clicked
        assert body["room"] == "rum-7" and body["level"] == "pixelate"
        lookin_id = body["lookin_id"]
        # Both instances see it live (the console's poll may land on either) ...
        assert await _state(pair.far, lookin_id) == {"lookin_id": lookin_id, "live": True}
        assert await _state(pair.near, lookin_id) == {"lookin_id": lookin_id, "live": True}
        # ... and the room is busy whichever instance a second request lands on.
        for client in (pair.near, pair.far):
            busy = await client.post("/api/lookins", json={"sdp": await second.offer(), "event_id": event.id})
            assert busy.status_code == 409 and busy.headers["x-lookin-refusal"] == "busy", busy.text
        frames_before = len(viewer.arrivals)
        await asyncio.sleep(1.0)
        assert len(viewer.arrivals) > frames_before, "frames keep coming through the relayed look-in"
        closed = await pair.far.post(f"/api/lookins/{lookin_id}/close")
        assert closed.status_code == 202, closed.text
        await asyncio.wait_for(viewer.ended.wait(), 5)
    finally:
        await viewer.close()
        await second.close()
    assert first_s < 3.0, f"first frame {first_s:.2f} s after the request"
    for _ in range(100):
        if (await _state(pair.far, lookin_id))["live"] is False:
            break
        await asyncio.sleep(0.05)
    assert await _state(pair.far, lookin_id) == {"lookin_id": lookin_id, "live": False, "why": "closed"}
    assert await _state(pair.near, lookin_id) == {"lookin_id": lookin_id, "live": False, "why": "closed"}
    records = pair.audit(lookin_id)
    assert [kind for kind, _details in records] == ["lookin_authorized", "lookin_started", "lookin_stopped"]
    assert records[-1][1]["why"] == "closed" and records[-1][1]["started"]


async def test_acknowledging_on_the_other_instance_ends_a_lookin_opened_there(pair: Pair) -> None:
    event = await pair.on_floor()
    viewer = Viewer()
    try:
        body = await _opened(pair.far, viewer, event)
        assert (await pair.far.post(f"/api/events/{event.id}/ack")).status_code == 200
        await asyncio.wait_for(viewer.ended.wait(), 5)
    finally:
        await viewer.close()
    for _ in range(100):
        state = await _state(pair.far, body["lookin_id"])
        if not state["live"]:
            break
        await asyncio.sleep(0.05)
    assert state == {"lookin_id": body["lookin_id"], "live": False, "why": "event_acknowledged"}


async def test_a_node_no_instance_holds_is_refused_at_once(pair: Pair) -> None:
    await pair.runtime.stop()  # the node's channel closes; central-a clears its record
    event = await pair.on_floor()
    viewer = Viewer()
    try:
        for client in (pair.far, pair.near):
            started = time.monotonic()
            response = await client.post("/api/lookins", json={"sdp": await viewer.offer(), "event_id": event.id})
            assert response.status_code == 503 and response.headers["x-lookin-refusal"] == "node_unreachable"
            assert time.monotonic() - started < 3.0, "no waiting for an answer that cannot come"
    finally:
        await viewer.close()


async def test_the_node_follows_a_dying_instance_and_its_lookin_is_taken_over(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with two_centrals(redis_server, tmp_path_factory.mktemp("failover"), node_port=free_port()) as pair:
        owner = await owner_of(pair.settings)
        assert owner is not None
        event = await pair.on_floor()
        viewer = Viewer()
        try:
            body = await _opened(pair.far, viewer, event)
            lookin_id = body["lookin_id"]
            pair.centrals[owner].kill()  # dies without closing anything
            pair.centrals[owner].wait(10)
            died = time.monotonic()
            while await owner_of(pair.settings) in (owner, None):  # the node reconnected to the survivor
                assert time.monotonic() - died < 10, "the node did not reach the other instance within 10 s"
                await asyncio.sleep(0.1)
            # The look-in went on at the node (media never passed through central); the survivor carries it now.
            for _ in range(50):
                if (await _state(pair.far, lookin_id))["live"]:
                    break
                await asyncio.sleep(0.1)
            assert await _state(pair.far, lookin_id) == {"lookin_id": lookin_id, "live": True}
            frames = len(viewer.arrivals)
            await asyncio.sleep(1.0)
            assert len(viewer.arrivals) > frames, "frames keep coming after the instance died"
            assert (await pair.far.post(f"/api/lookins/{lookin_id}/close")).status_code == 202
            await asyncio.wait_for(viewer.ended.wait(), 5)
        finally:
            await viewer.close()
        for _ in range(100):
            stops = [d for kind, d in pair.audit(lookin_id) if kind == "lookin_stopped"]
            if stops:
                break
            await asyncio.sleep(0.1)
        assert [d["why"] for d in stops] == ["closed"], "the survivor recorded the stop of the look-in it took over"
        # And a new look-in opens through the survivor.
        again = await _event_on(pair, pair.far)
        second = Viewer()
        try:
            reopened = await _opened(pair.far, second, again)
            assert (await pair.far.post(f"/api/lookins/{reopened['lookin_id']}/close")).status_code == 202
        finally:
            await second.close()


async def _event_on(pair: Pair, client: httpx.AsyncClient) -> Event:
    event = Event(node=NODE, room="rum-7", kind="on_floor", severity=Severity.HIGH)
    pair.publish(event)
    await pair.event_listed(client, event)
    return event
