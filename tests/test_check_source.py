"""`nattvakt node --check-source [URL]` as an installer runs it, against the real RTSP camera."""

from __future__ import annotations

import subprocess
import sys

from benchmarks.rtsp_camera import RtspCamera
from tests.conftest import CAMERA_PASSWORD
from tests.processes import nattvakt_env


def _check(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nattvakt", "node", "--check-source", *args], capture_output=True,
                          text=True, timeout=60, env=nattvakt_env(**settings))


def test_a_working_camera_prints_what_it_sends_and_costs(rtsp_camera: RtspCamera) -> None:
    done = _check(rtsp_camera.url())
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"camera rtsp://***@127.0.0.1:{rtsp_camera.port}/cam" in done.stdout
    assert "320x240 h264, 15 fps announced" in done.stdout and "ms per frame p50" in done.stdout
    assert "of one core" in done.stdout and "hint" not in done.stdout
    assert CAMERA_PASSWORD not in done.stdout + done.stderr


def test_without_a_url_it_checks_the_configured_source(rtsp_camera: RtspCamera) -> None:
    done = _check(node__source=rtsp_camera.url())  # the password stays off the command line
    assert done.returncode == 0 and "320x240 h264" in done.stdout, done.stdout + done.stderr


def test_a_refused_password_or_a_dead_address_exits_1_saying_why(rtsp_camera: RtspCamera) -> None:
    refused = _check(rtsp_camera.url(password="fel"))
    assert refused.returncode == 1
    assert "FAILED (unauthorized)" in refused.stdout and "refused the user name or password" in refused.stdout
    rtsp_camera.stop()
    gone = _check(rtsp_camera.url(), node__source_open_timeout_s="2")
    assert gone.returncode == 1 and "FAILED (unreachable)" in gone.stdout


def test_not_a_url_is_a_usage_error() -> None:
    done = _check("/dev/video0")
    assert done.returncode == 2 and "takes a camera URL" in done.stderr
