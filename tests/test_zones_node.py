"""Zones drawn in the console reach a running node over its control channel: on save when it is connected, on connect
otherwise; a node for which none were drawn keeps the zones of its own settings; a bad zone never reaches the rules."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from camera_node.consent_sync import ConsentWatcher
from camera_node.lookin_runtime import LookinRuntime
from camera_node.rules.room import RoomRules
from camera_node.rules.zones import RoomZones
from central.db import open_store
from central.staff.service import upsert_staff
from nattvakt.events import Origin
from nattvakt.lookin_protocol import TO_NODE
from nattvakt.redis_server import free_port
from nattvakt.settings import CentralSettings, NodeSettings, RuleSettings, Settings, ZoneSettings
from tests.conftest import STAFF_PASSWORD
from tests.lookin_parts import camera
from tests.test_control_channel import Central, until

ENV_FLOOR = ZoneSettings(name="golv", kind="floor", polygon=((0.0, 0.6), (1.0, 0.6), (1.0, 1.0), (0.0, 1.0)))
BED = {"name": "säng", "kind": "bed", "polygon": [[0.1, 0.5], [0.6, 0.5], [0.6, 0.9], [0.1, 0.9]]}


@pytest.fixture
async def central(tmp_path: Path, redis_url: str) -> AsyncIterator[Central]:
    settings = Settings(redis_url=redis_url, database_url=f"sqlite:///{tmp_path / 'z.db'}", data_dir=tmp_path,
                        events_stream="zones:events", central=CentralSettings(port=free_port()))
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        upsert_staff(db, "olle", STAFF_PASSWORD, "ops")
    engine.dispose()
    running = Central(settings)
    await running.start()
    yield running
    with contextlib.suppress(AssertionError):
        await running.stop()


@contextlib.asynccontextmanager
async def node(central: Central, node_id: str, token: str, rules: RoomRules) -> AsyncIterator[LookinRuntime]:
    """The node's runtime as `camera_node.node` wires it, its zones going into `rules`."""
    settings = central.settings.model_copy(update={"node": NodeSettings(
        node_id=node_id, room="rum-7", central_url=f"ws://127.0.0.1:{central.settings.central.port}", token=token,
        zones=(ENV_FLOOR,))})
    watcher = ConsentWatcher.for_node(settings, lambda _event: None)
    watcher.start()
    with camera(node_id, "synthetic", fps=5) as pipeline:
        runtime = LookinRuntime.for_node(settings, watcher, pipeline,
                                         zones=lambda zones: rules.use_zones(RoomZones.from_settings(zones)))
        runtime.start()
        try:
            await asyncio.wait_for(runtime.channel.connected.wait(), 10)
            yield runtime
        finally:
            await runtime.stop()
            await watcher.stop()


def zone_names(rules: RoomRules) -> set[str]:
    rules.update(0.0, [], [], 4 / 3)  # the pipeline thread takes new zones at its next frame
    return {z.name for z in rules.zones.zones}


async def test_zones_reach_the_node_on_connect_and_on_save(central: Central) -> None:
    base = f"http://127.0.0.1:{central.settings.central.port}"
    async with httpx.AsyncClient(base_url=base) as ops:
        assert (await ops.post("/api/login", json={"username": "olle", "password": STAFF_PASSWORD})).is_success
        tokens = {n: (await ops.post(f"/api/nodes/{n}/token")).json()["token"] for n in ("kamera-1", "kamera-2")}
        early = await ops.put("/api/nodes/kamera-1/zones", json={"zones": [BED]})
        assert early.status_code == 200 and early.json()["delivered"] is False, "not connected: sent on connect"
        bad = await ops.put("/api/nodes/kamera-1/zones", json={"zones": [{**BED, "polygon": [[0.1, 0.5], [1.4, 0.5],
                                                                                              [0.6, 0.9]]}]})
        assert bad.status_code == 422 and "out of the frame" in bad.text, "the node's own checks, at the field"
        assert (await ops.get("/api/nodes/kamera-1/zones")).json()["zones"][0]["name"] == "säng"

        drawn = RoomRules(Origin("kamera-1", "rum-7", ""), RoomZones.from_settings((ENV_FLOOR,)), RuleSettings())
        kept = RoomRules(Origin("kamera-2", "rum-8", ""), RoomZones.from_settings((ENV_FLOOR,)), RuleSettings())
        async with node(central, "kamera-1", tokens["kamera-1"], drawn), \
                node(central, "kamera-2", tokens["kamera-2"], kept):
            await until(lambda: zone_names(drawn) == {"säng"})
            door = {"name": "dörr", "kind": "door", "polygon": [[0.8, 0.1], [0.95, 0.1], [0.95, 0.7], [0.8, 0.7]]}
            saved = await ops.put("/api/nodes/kamera-1/zones", json={"zones": [BED, door]})
            assert saved.json()["delivered"] is True
            await until(lambda: zone_names(drawn) == {"säng", "dörr"})
            assert drawn.tracker.exits == (tuple(tuple(p) for p in door["polygon"]),), "the door is an exit now"
            await asyncio.sleep(0.5)
            assert zone_names(kept) == {"golv"}, "none drawn for it: the node keeps its own settings' zones"


def test_a_zones_message_with_a_bad_zone_is_refused_by_the_node() -> None:
    bow_tie = ('{"type": "zones", "zones": [{"name": "x", "kind": "bed", '
               '"polygon": [[0.2,0.2],[0.6,0.6],[0.6,0.2],[0.2,0.6]]}]}')
    with pytest.raises(ValidationError, match="self-intersecting"):
        TO_NODE.validate_json(bow_tie)
    twice = '{"type": "zones", "zones": [%s, %s]}' % ((
        '{"name": "a", "kind": "bed", "polygon": [[0.1,0.1],[0.5,0.1],[0.5,0.5]]}',) * 2)
    with pytest.raises(ValidationError, match="unique"):
        TO_NODE.validate_json(twice)
