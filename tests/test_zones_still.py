"""Ops see the room to draw its zones: central asks the running node over its control channel for one still, which
the node makes through `privacy` at `STILL_LEVEL` from real video; central hands it to ops only, audits the look and
stores no picture; a withdrawn consent gets no picture. A node that is away or has no frame gives a clear answer,
not a 500."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import httpx
import numpy as np
import pytest

from camera_node.consent_sync import ConsentWatcher
from camera_node.lookin_runtime import LookinRuntime
from central.audit.report import STILL_KIND, build_report
from central.audit.report_page import _why
from central.audit.store import iter_records
from central.consent import service
from central.db import open_store
from central.staff.service import upsert_staff
from nattvakt.lookin_protocol import STILL_LEVEL, STILL_MAX_WIDTH
from nattvakt.redis_server import free_port
from nattvakt.settings import CentralSettings, NodeSettings, Settings
from privacy.audit import AuditRecord
from privacy.consent_model import ConsentTerms
from privacy.faces import shared_face_detector
from privacy.frames import Pixels
from privacy.levels import OUTGOING_WIDTH
from tests.conftest import STAFF_PASSWORD
from tests.lookin_parts import camera, face_clip
from tests.test_control_channel import Central

NODE = "kamera-3"


@pytest.fixture
async def central(tmp_path: Path, redis_url: str) -> AsyncIterator[Central]:
    settings = Settings(redis_url=redis_url, database_url=f"sqlite:///{tmp_path / 's.db'}", data_dir=tmp_path,
                        events_stream="still:events",
                        central=CentralSettings(port=free_port(), still_timeout_s=3.0))
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        upsert_staff(db, "olle", STAFF_PASSWORD, "ops")
        upsert_staff(db, "nina", STAFF_PASSWORD, "night_staff")
    engine.dispose()
    running = Central(settings)
    await running.start()
    yield running
    with contextlib.suppress(AssertionError):
        await running.stop()


@contextlib.asynccontextmanager
async def node(central: Central, token: str, source: str, *, frames: bool = True) -> AsyncIterator[LookinRuntime]:
    """The node's runtime as `camera_node.node` wires it, on a real video source; `frames=False`: its outgoing tap
    gets no frames (as when the camera has stopped delivering), only the control channel runs."""
    settings = central.settings.model_copy(update={"node": NodeSettings(
        node_id=NODE, room="rum-7", central_url=f"ws://127.0.0.1:{central.settings.central.port}", token=token)})
    watcher = ConsentWatcher.for_node(settings, lambda _event: None)
    watcher.start()
    with camera(NODE, source, fps=10) as pipeline:
        runtime = LookinRuntime.for_node(settings, watcher, pipeline)
        if frames:
            runtime.start()
        else:
            runtime.channel.start()
        try:
            await asyncio.wait_for(runtime.channel.connected.wait(), 10)
            yield runtime
        finally:
            await runtime.stop()
            await watcher.stop()


@contextlib.asynccontextmanager
async def logged_in(base: str, user: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base, timeout=20) as client:
        assert (await client.post("/api/login", json={"username": user, "password": STAFF_PASSWORD})).is_success
        yield client


def raw_frames(clip: Path, size: tuple[int, int], count: int = 120) -> list[Pixels]:
    capture = cv2.VideoCapture(str(clip))
    frames: list[Pixels] = []
    while len(frames) < count:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(np.asarray(cv2.resize(cv2.resize(frame, (640, 480)), size), dtype=np.uint8))
    capture.release()
    return frames


def jpegs_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p.read_bytes()[:3] == b"\xff\xd8\xff"]


async def test_ops_get_a_privacy_safe_still_from_the_running_node_and_the_look_is_audited(
    central: Central, tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{central.settings.central.port}"
    clip = face_clip()
    async with logged_in(base, "olle") as ops, logged_in(base, "nina") as night:
        token = (await ops.post(f"/api/nodes/{NODE}/token")).json()["token"]
        away = await ops.post(f"/manage/nodes/{NODE}/still")
        assert away.status_code == 503, "not connected: said so, no 500"
        assert "not connected" in away.json()["detail"]
        assert (await ops.post("/manage/nodes/no-such-node/still")).status_code == 404

        async with node(central, token, str(clip)):
            assert (await night.post(f"/manage/nodes/{NODE}/still")).status_code == 403, "night staff see no room"
            taken = await ops.post(f"/manage/nodes/{NODE}/still")
            assert taken.status_code == 200, taken.text
            assert taken.headers["cache-control"] == "no-store"
            body = taken.json()
            assert body["level"] == STILL_LEVEL == "heavy_blur", "a strong level, never faces_hidden or raw"

    prefix = "data:image/jpeg;base64,"
    assert body["image"].startswith(prefix)
    jpeg = base64.b64decode(body["image"][len(prefix):])
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    sent: Pixels = np.asarray(decoded, dtype=np.uint8)
    # Sent at the size its level carries (privacy.levels), and looked at as the editor shows it: scaled up.
    assert sent.shape[1] == OUTGOING_WIDTH["heavy_blur"] <= STILL_MAX_WIDTH
    still: Pixels = np.asarray(cv2.resize(sent, (640, 480), interpolation=cv2.INTER_LINEAR), dtype=np.uint8)

    faces = shared_face_detector()
    raws = raw_frames(clip, (still.shape[1], still.shape[0]))
    with_face = [raw for raw in raws[::10] if faces.detect(raw, 640, 0.5)]
    assert len(with_face) >= 3, "CenterFace finds the face in the clip's raw frames"
    assert faces.detect(still, 640, 0.5) == [], "CenterFace finds no face in the still"
    nearest = min(float(np.mean(cv2.absdiff(still, raw))) for raw in raws)
    _, again = cv2.imencode(".jpg", raws[0], [cv2.IMWRITE_JPEG_QUALITY, 70])
    jpeg_noise = float(np.mean(cv2.absdiff(raws[0], np.asarray(cv2.imdecode(again, cv2.IMREAD_COLOR)))))
    assert nearest > 3 * jpeg_noise, f"the still is no raw frame ({nearest:.1f} vs JPEG noise {jpeg_noise:.1f})"
    assert float(np.std(still)) > 10, "the room's shapes remain to draw on (not a blank picture)"

    engine, sessions = open_store(central.settings.database_url)
    with sessions() as db:
        looks = [r for r in iter_records(db) if r.kind == "commissioning_still"]
    engine.dispose()
    assert len(looks) == 1, "one audited look: the refused and failed asks showed nothing"
    assert looks[0].actor == "olle"
    assert looks[0].details["node_id"] == NODE and looks[0].details["level"] == "heavy_blur"
    assert looks[0].details["reason"] == "installation"
    assert await asyncio.to_thread(jpegs_under, tmp_path) == [], "the still is never written to disk"


async def test_a_node_without_pictures_gives_a_clear_answer_not_a_500(central: Central) -> None:
    base = f"http://127.0.0.1:{central.settings.central.port}"
    async with logged_in(base, "olle") as ops:
        token = (await ops.post(f"/api/nodes/{NODE}/token")).json()["token"]
        async with node(central, token, "synthetic", frames=False):
            answer = await ops.post(f"/manage/nodes/{NODE}/still")
    assert answer.status_code == 503
    assert "has no picture now (no_frame)" in answer.json()["detail"]


async def test_no_still_of_a_room_whose_consent_is_withdrawn(central: Central) -> None:
    engine, sessions = open_store(central.settings.database_url)
    start = datetime.now(UTC) - timedelta(days=1)
    with sessions() as db:
        greta = service.create_recipient(db, "Greta", "rum-7", "sara")
        service.record_terms(db, greta.id, ConsentTerms.model_validate({
            "given_by": [{"role": "recipient", "name": "Greta"}], "given_at": start, "valid_from": start,
            "scope": {"event_kinds": ["on_floor"], "privacy_level": "silhouette"}}), "sara")
        service.withdraw(db, greta.id, "sara", "Greta")
    base = f"http://127.0.0.1:{central.settings.central.port}"
    async with logged_in(base, "olle") as ops:
        token = (await ops.post(f"/api/nodes/{NODE}/token")).json()["token"]
        with sessions() as db:
            service.assign_node(db, NODE, greta.id, "olle")
        async with node(central, token, "synthetic"):
            answer = await ops.post(f"/manage/nodes/{NODE}/still")
    assert answer.status_code == 409 and answer.json()["code"] == "withdrawn"
    with sessions() as db:
        kinds = [r.kind for r in iter_records(db) if r.kind.startswith("commissioning_still")]
    engine.dispose()
    assert kinds == ["commissioning_still_refused"], "the refused ask is on record, and no picture was taken"


def test_the_transparency_report_lists_a_commissioning_still_as_a_look() -> None:
    at = datetime(2026, 12, 3, 22, 0, tzinfo=UTC)
    still = AuditRecord(7, at, STILL_KIND, "olle", 1, {"node_id": NODE, "level": "heavy_blur",
                                                         "reason": "installation"}, "", "")
    zone = ZoneInfo("Europe/Stockholm")
    report = build_report([still], [], at - timedelta(days=1), at + timedelta(days=1), zone)
    assert [(r.staff, r.action, r.allowed, r.started_at) for r in report.looks] == [("olle", "installation", True, at)]
    assert _why(report.looks[0], "sv") == "Bild för att rita zoner (installation)"
