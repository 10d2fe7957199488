"""A paused room stays unwatched: central and a node as real processes, the node's synthetic person walking
across the room while the consent is paused. No detection event leaves the node; heartbeats still do."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from camera_node.pause_gate import PauseGate
from central.db import open_store
from central.staff.service import upsert_staff
from nattvakt.bus import heartbeats_key
from nattvakt.events import Event, Severity
from nattvakt.redis_server import free_port
from nattvakt.settings import Settings
from privacy.consent_model import ConsentScope, Pause
from privacy.consent_policy import decide
from tests.conftest import STAFF_PASSWORD
from tests.processes import nattvakt_env, running
from tests.recipients import terms
from tests.test_consent_policy import make_consent

NODE = "pause-node"
FPS = 5
WALK_DONE_S = 11.0
"""The synthetic scene's first walk is over by then (it crosses the room from 4 s to 10 s)."""
DEVICE_KINDS = {"camera_fault", "detector_fault"}


def wait_for(check: Any, within_s: float, what: str) -> Any:
    """Poll `check()` until it returns something truthy; fail saying `what` did not happen."""
    deadline = time.monotonic() + within_s
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {within_s} s")
        time.sleep(0.1)
    return result


@pytest.mark.slow
def test_a_paused_room_publishes_no_detection_events_but_heartbeats_go_on(settings: Settings, tmp_path: Path) -> None:
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        upsert_staff(db, "sara", STAFF_PASSWORD, "nurse_admin")
    engine.dispose()
    health_port = free_port()
    env = nattvakt_env(
        redis_url=settings.redis_url_or_default(), database_url=settings.database_url, data_dir=str(tmp_path),
        events_stream=settings.events_stream, central__port=str(settings.central.port), node__node_id=NODE,
        node__room="rum-7", node__source="synthetic", node__width="160", node__height="120", node__fps=str(FPS),
        node__perception_enabled="false", node__motion_quiet_s="1", node__health_port=str(health_port),
        node__heartbeat_s="1", log_level="INFO",
    )
    base = f"http://127.0.0.1:{settings.central.port}"
    with running(["central"], env, tmp_path / "central.log", health_url=f"{base}/healthz"), \
            httpx.Client(base_url=base) as http:
        assert http.post("/api/login", json={"username": "sara", "password": STAFF_PASSWORD}).status_code == 200
        rid = http.post("/api/recipients", json={"name": "Greta", "room": "rum-7"}).json()["id"]
        assert http.post(f"/api/recipients/{rid}/consent", json=terms()).status_code == 201
        assert http.put(f"/api/nodes/{NODE}", json={"recipient_id": rid}).status_code == 200
        assert http.post(f"/api/recipients/{rid}/pause", json={"on_behalf_of": "Greta"}).status_code == 200

        node_log = tmp_path / "node.log"
        with running(["node"], env, node_log), httpx.Client(base_url=f"http://127.0.0.1:{health_port}") as node:
            wait_for(lambda: "(consent version 2)" in node_log.read_text(), 20,
                     "the paused consent copy was not accepted")

            def walked() -> dict[str, Any] | None:
                try:
                    status: dict[str, Any] = node.get("/healthz").json()
                except httpx.HTTPError:
                    return None
                done = status["processed"] >= WALK_DONE_S * FPS and status["spool"]["backlog"] == 0
                return status if done else None

            status = wait_for(walked, 30, "the node did not watch the walk through")
            client = redis.Redis.from_url(settings.redis_url_or_default(), decode_responses=True)
            entries: list[tuple[str, dict[str, str]]] = client.xrange(settings.events_stream)  # type: ignore[assignment]
            kinds = [json.loads(fields["event"])["kind"] for _id, fields in entries]
            detections = [kind for kind in kinds if kind not in DEVICE_KINDS]
            assert detections == [], f"published while paused: {detections}"
            assert client.zscore(heartbeats_key(settings.events_stream), NODE) is not None, "heartbeats go on"
            client.close()
            assert status["held_back_while_paused"] > 0, "the walk was seen, and held back"


@pytest.mark.parametrize("state", ["paused", "withdrawn", "in_force"])
def test_the_gate_holds_detections_back_while_paused_or_withdrawn_and_lets_device_events_through(state: str) -> None:
    """The node's gate on its own consent copy, decided by the real policy: a withdrawal holds detection events back
    like a pause; camera faults go whatever the consent says (they are about the device)."""
    now = datetime.now(UTC)
    scope = ConsentScope(event_kinds=frozenset({"bed_exit", "motion"}), privacy_level="heavy_blur")
    pauses = (Pause(start=now - timedelta(minutes=5), end=now + timedelta(hours=1), set_by="Greta"),) \
        if state == "paused" else ()
    consent = make_consent(scope, pauses=pauses,
                           withdrawn_at=now - timedelta(minutes=5) if state == "withdrawn" else None)
    published: list[Event] = []
    gate = PauseGate(lambda at, action: decide(consent, at, action), published.append, NODE, clock=lambda: now)
    motion = Event(node=NODE, room="rum-7", kind="motion")
    fault = Event(node=NODE, room="rum-7", kind="camera_fault", severity=Severity.HIGH)
    gate(motion)
    gate(fault)
    if state == "in_force":
        assert published == [motion, fault] and gate.held_back == 0
    else:
        assert published == [fault] and gate.held_back == 1
