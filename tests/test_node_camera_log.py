"""A real `nattvakt node` at INFO on a camera that refuses its password: one line in its log says so, however many
times it tries; FFmpeg's and OpenCV's own per-attempt lines are kept for DEBUG."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from benchmarks.rtsp_camera import RtspCamera
from nattvakt.consent_transport import master_key
from nattvakt.redis_server import free_port
from nattvakt.settings import Settings
from tests.processes import nattvakt_env, running

pytestmark = pytest.mark.slow


def test_a_refused_password_is_one_log_line_over_many_attempts(
    settings: Settings, rtsp_camera: RtspCamera, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "node.log"
    env = nattvakt_env(
        redis_url=settings.redis_url_or_default(), data_dir=str(tmp_path), events_stream=settings.events_stream,
        log_level="INFO", node__health_port=str(port), node__perception_enabled="false",
        node__source=rtsp_camera.url(password="fel"), node__source_retry_first_s="0.2",
        node__source_refused_retry_max_s="0.5",
    )
    master_key(settings, create=True)  # in data_dir: the node derives its event key from it
    with running(["node"], env, log, f"http://127.0.0.1:{port}/healthz"):
        deadline = time.monotonic() + 20
        while httpx.get(f"http://127.0.0.1:{port}/healthz").json()["capture"]["open_failures"] < 5:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    lines = log.read_text().splitlines()
    said = [line for line in lines if "401" in line and "status at stop" not in line]  # the stop summary repeats it
    assert len(said) == 1 and "camera_node.capture" in said[0], lines
    assert not [line for line in lines if "Unauthorized" in line or "WARN:" in line], lines
