"""Node and central as real processes against a real Redis: motion reaches the console API."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from nattvakt.consent_transport import master_key
from nattvakt.settings import Settings
from tests.conftest import STAFF_PASSWORD
from tests.processes import nattvakt_env, running

pytestmark = pytest.mark.slow


def _env(settings: Settings) -> dict[str, str]:
    return nattvakt_env(
        redis_url=settings.redis_url_or_default(),
        database_url=settings.database_url,
        data_dir=str(settings.data_dir),
        events_stream=settings.events_stream,
        central__port=str(settings.central.port),
        node__node_id="e2e-node",
        node__room="E2E",
        node__source="synthetic",
        node__width="320",
        node__height="240",
        node__motion_quiet_s="1",
    )


def test_motion_from_node_reaches_console_live(settings: Settings, staff_login: dict[str, str], tmp_path: Path) -> None:
    env = _env(settings)
    base = f"http://127.0.0.1:{settings.central.port}"
    log = tmp_path / "processes.log"
    with running(["central"], env, log, health_url=f"{base}/healthz"), httpx.Client(base_url=base) as http:
        assert http.post("/api/login", json={"username": "anna", "password": STAFF_PASSWORD}).status_code == 200
        with http.stream("GET", "/api/events/stream", timeout=30) as stream, running(["node"], env, log):
            received = []
            name = ""
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    name = line.removeprefix("event:").strip()
                elif line.startswith("data:") and name == "event":  # not the stream's `bus` sign of life
                    entry = json.loads(line.removeprefix("data:"))
                    received.append((datetime.now(UTC), entry["event"]))
                    if entry["event"]["state"] == "ended":
                        break
        arrival, opened = received[0]
        assert opened["kind"] == "motion" and opened["node"] == "e2e-node" and opened["room"] == "E2E"
        delay = (arrival - datetime.fromisoformat(opened["started_at"])).total_seconds()
        assert delay < 1.0, f"event took {delay:.3f} s from node to console"
        assert [e["state"] for _, e in received] == ["open", "ended"]
        assert {e["id"] for _, e in received} == {opened["id"]}

        listed = http.get("/api/events").json()
        assert [entry["event"]["id"] for entry in listed] == [opened["id"]]


def test_node_waits_for_redis_and_delivers_later(settings: Settings, tmp_path: Path) -> None:
    """Redis unreachable at start: the node says what it waits for, keeps its events, and exits cleanly."""
    env = _env(settings) | {"NATTVAKT_REDIS_URL": "redis://127.0.0.1:1/0"}
    master_key(settings, create=True)  # the node's event key is derived from it (central is not running here)
    log = tmp_path / "node.log"
    with running(["node"], env, log) as node:
        deadline = time.monotonic() + 20
        while "waiting for Redis at redis://127.0.0.1:1/0" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert node.poll() is None, "the node keeps running while Redis is away"
    assert node.returncode == 0
    assert "unpublished events" in log.read_text()
