"""Real IP-camera faults against a real RTSP server (GStreamer's), through the node's own capture and pipeline threads.

A camera that reboots, hangs with its connection open, refuses the password or the path, changes resolution, or
sends H.265: the node raises `camera_fault` (lost, with a cause) after the configured time, ends it when frames
return, retries with backoff (never a tight loop) and is never restarted. Timings are a tenth of production's where
the behaviour is the same at any scale (fault time, retry cap), so each test takes seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest

from benchmarks.rtsp_camera import RtspCamera
from camera_node.network_source import NetworkSource
from nattvakt.settings import NodeSettings
from tests.conftest import CAMERA_PASSWORD
from tests.rtsp_node import RtspNode


def _settings(url: str, **overrides: float) -> NodeSettings:
    timings = {"camera_fault_after_s": 1.0, "source_open_timeout_s": 2.0, "source_read_timeout_s": 1.0,
               "source_retry_first_s": 0.2, "source_retry_max_s": 1.0, "source_refused_retry_max_s": 1.0}
    return NodeSettings(source=url, **(timings | overrides))


@pytest.mark.parametrize(
    ("outage_s", "after_s"),
    [
        pytest.param(5.0, 2.0, id="reboot-5s"),
        # 60 s down against a 10 s fault time and a 10 s retry cap, at a tenth of the scale: six retry caps down.
        pytest.param(6.0, 1.0, id="down-60s-scaled"),
    ],
)
def test_a_camera_that_goes_down_and_returns_raises_lost_then_ends_it(
    rtsp_camera: RtspCamera, outage_s: float, after_s: float
) -> None:
    node = RtspNode(_settings(rtsp_camera.url(), camera_fault_after_s=after_s))
    with node.running():
        node.settle()
        thread = node.capture._thread
        down = time.monotonic()  # before stop(): the camera is gone while the server shuts down
        rtsp_camera.stop()
        opened_at, opened = node.wait_fault("open", timeout=after_s + 4)
        assert after_s - 0.3 <= opened_at - down <= after_s + 2.0, "raised after the configured time"
        assert opened.details["reason"] == "lost"
        assert opened.details["cause"] in {"closed", "unreachable"}, opened.details
        time.sleep(max(0.0, down + outage_s - time.monotonic()))
        assert len(node.faults()) == 1, "one fault for the whole outage"
        failures = node.capture.stats.open_failures
        rtsp_camera.start()
        up = time.monotonic()
        ended_at, ended = node.wait_fault("ended", timeout=8)
        node.settle()
        assert thread is node.capture._thread and thread.is_alive(), "the same capture thread: no restart"
    assert ended_at - up <= 1.0 + 3.0, "back within one capped retry wait (plus opening the stream)"
    assert ended.id == opened.id and ended.details["reason"] == "lost"
    # Waits of 0.2, 0.4, 0.8 s, then 1 s (the cap): a handful of attempts, not a tight loop.
    assert 2 <= failures <= outage_s / 0.8 + 4, failures
    assert node.capture.problem is None


def test_a_stalled_stream_is_dropped_after_the_read_timeout_and_comes_back(rtsp_camera: RtspCamera) -> None:
    node = RtspNode(_settings(rtsp_camera.url(), camera_fault_after_s=2.0))
    with node.running():
        node.settle()
        rtsp_camera.stall()  # TCP stays open; nothing arrives
        stalled = time.monotonic()
        noticed = node.wait_problem("stalled", timeout=6)
        assert noticed - stalled <= 1.0 + 1.5, "given up after the 1 s read timeout, not waited on forever"
        _, opened = node.wait_fault("open", timeout=5)
        assert opened.details["reason"] == "lost" and opened.details["cause"] == "stalled"
        rtsp_camera.resume()
        node.wait_fault("ended", timeout=12)
        node.wait_frames(5)
    assert node.capture.stats.reconnects >= 1


@pytest.mark.parametrize(
    ("wrong", "cause", "says"),
    [
        ("password", "unauthorized", "refused the user name or password (RTSP 401)"),
        ("path", "not_found", "has no stream at path '/fel' (RTSP 404)"),
    ],
)
def test_a_wrong_password_or_path_is_one_clear_log_line_a_fault_with_the_cause_and_backoff(
    rtsp_camera: RtspCamera, caplog: pytest.LogCaptureFixture, wrong: str, cause: str, says: str
) -> None:
    url = rtsp_camera.url(password="fel-lösen") if wrong == "password" else rtsp_camera.url(path="/fel")
    node = RtspNode(_settings(url))
    with caplog.at_level(logging.INFO), node.running():
        _, opened = node.wait_fault("open", timeout=5)
        time.sleep(3.0)
    assert opened.details == {"reason": "lost", "cause": cause, "after_s": opened.details["after_s"]}
    assert node.capture.problem == cause
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and "camera" in r.getMessage()]
    clear = [line for line in lines if says in line]
    assert len(clear) == 1, lines
    assert "rtsp://***@127.0.0.1" in clear[0]
    # About 4 s of waits of 0.2, 0.4, 0.8, 1, 1 s: a handful of attempts (a tight loop would make thousands).
    assert 3 <= node.capture.stats.open_failures <= 9, node.capture.stats.open_failures
    assert "fel-lösen" not in caplog.text and CAMERA_PASSWORD not in caplog.text


def test_a_resolution_change_mid_stream_keeps_frames_flowing(rtsp_cameras: Callable[..., RtspCamera]) -> None:
    camera = rtsp_cameras(size="320x240", alt_size="640x360")
    node = RtspNode(_settings(camera.url()))
    with node.running():
        node.settle()
        camera.resize()
        # OpenCV's FFmpeg reader keeps handing out frames at the size it opened with (it rescales): the picture
        # goes on, with no fault and no reconnect.
        node.wait_frames(20)
        time.sleep(1.5)
        node.wait_frames(5)
        assert node.faults() == [] and node.capture.stats.reconnects == 0
        # At the next reconnect (here: the camera restarts with its new profile) the node takes the new size.
        camera.stop()
        camera.size = "640x360"
        camera.start()
        deadline = time.monotonic() + 10
        while node.capture.stats.size_changes == 0:
            assert time.monotonic() < deadline, "the new size never arrived"
            time.sleep(0.05)
        node.wait_frames(5)
    assert node.capture.stats.size_changes == 1


def test_an_h265_camera_is_decoded(rtsp_cameras: Callable[..., RtspCamera]) -> None:
    camera = rtsp_cameras(codec="h265")
    source = NetworkSource(camera.url())
    source.open()
    try:
        width, height, fps, codec = source.stream_info()
        frames = [source.read() for _ in range(10)]
    finally:
        source.close()
    assert (width, height, codec) == (320, 240, "hevc") and fps == pytest.approx(15, abs=1)
    assert all(frame is not None and frame.shape == (240, 320, 3) for frame in frames)
    node = RtspNode(_settings(camera.url()))
    with node.running():
        node.settle()
        node.wait_frames(15)
    assert node.faults() == []
