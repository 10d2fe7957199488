"""Central and a node as real processes: the node accepts central's signed copy and raises an alarm on a forged one."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import redis

from central.db import open_store
from central.staff.service import upsert_staff
from nattvakt.consent_transport import copy_key, notify_channel
from nattvakt.settings import Settings
from privacy.consent_signing import derive_node_key, sign_copy
from tests.processes import nattvakt_env, running

pytestmark = pytest.mark.slow
NODE = "consent-node"


def wait_for_log(log: Path, text: str, within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while text not in log.read_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not logged within {within_s} s:\n{log.read_text()}")
        time.sleep(0.05)


def test_node_process_verifies_central_copies_and_alarms_on_forgery(settings: Settings, tmp_path: Path) -> None:
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        upsert_staff(db, "sara", "natt-test-lösen", "nurse_admin")
    engine.dispose()
    env = nattvakt_env(
        redis_url=settings.redis_url_or_default(), database_url=settings.database_url, data_dir=str(tmp_path),
        events_stream=settings.events_stream, central__port=str(settings.central.port), node__node_id=NODE,
        node__room="rum-9", node__source="synthetic", node__width="160", node__height="120", node__fps="2",
        log_level="INFO",
    )
    base = f"http://127.0.0.1:{settings.central.port}"
    central_log, node_log = tmp_path / "central.log", tmp_path / "node.log"
    with running(["central"], env, central_log, health_url=f"{base}/healthz"), httpx.Client(base_url=base) as http, \
            running(["node"], env, node_log):
        assert http.post("/api/login", json={"username": "sara", "password": "natt-test-lösen"}).status_code == 200
        rid = http.post("/api/recipients", json={"name": "Greta", "room": "rum-9"}).json()["id"]
        assert http.put(f"/api/nodes/{NODE}", json={"recipient_id": rid}).json()["delivered"]
        wait_for_log(node_log, "consent copy v1 accepted (consent version None)")

        forged = sign_copy(derive_node_key(b"someone-else's-master-key", NODE), NODE, 99, None, datetime.now(UTC))
        client = redis.Redis.from_url(settings.redis_url_or_default(), decode_responses=True)
        client.hset(copy_key(NODE), mapping={"version": 99, "copy": forged})
        client.publish(notify_channel(NODE), "99")
        wait_for_log(node_log, "refused (bad_signature)")
        deadline = time.monotonic() + 10
        alarms: list[dict[str, object]] = []
        while not alarms and time.monotonic() < deadline:
            entries: list[tuple[str, dict[str, str]]] = client.xrange(settings.events_stream)  # type: ignore[assignment]
            for _id, fields in entries:
                event = json.loads(fields["event"])
                if event["kind"] == "camera_fault" and event["details"].get("fault") == "consent_copy_rejected":
                    alarms.append(event)
            time.sleep(0.1)
        client.close()
        assert alarms and alarms[0]["node"] == NODE and alarms[0]["severity"] == 4
