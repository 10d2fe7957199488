"""Review fixes in capture: backoff that resets on a good frame, no tight reconnect loop, backend errors
that do not kill the thread, and a non-looping file that ends instead of starting over."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from camera_node.capture import CaptureThread, OpenCVSource
from camera_node.synthetic import SyntheticScene
from privacy.frames import Pixels

GOOD = np.zeros((48, 64, 3), np.uint8)


def _cv2_error() -> cv2.error:
    """A real error from OpenCV (converting an empty image), as a failing backend raises it."""
    try:
        cv2.cvtColor(np.zeros((0, 0), np.uint8), cv2.COLOR_GRAY2BGR)
    except cv2.error as exc:
        return exc
    raise AssertionError("OpenCV accepted an empty image")


class _FlakySource:
    """Opens every time; each session gives `frames_per_session` good frames, then no more (a camera that
    accepts the connection but stalls). `fail_first` makes the first open and the first read raise cv2.error."""

    description = "flaky"

    def __init__(self, frames_per_session: int, *, fail_first: bool = False) -> None:
        self._per_session = frames_per_session
        self._fail_open = self._fail_read = fail_first
        self._left = 0
        self.opens = 0

    def open(self) -> None:
        self.opens += 1
        if self._fail_open:
            self._fail_open = False
            raise _cv2_error()
        self._left = self._per_session

    def read(self) -> Pixels | None:
        if self._fail_read:
            self._fail_read = False
            raise _cv2_error()
        if self._left <= 0:
            return None
        self._left -= 1
        time.sleep(0.002)
        return GOOD

    def close(self) -> None:
        pass


def _run_for(capture: CaptureThread, seconds: float) -> None:
    capture.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        capture.latest(timeout=0.05)
    capture.stop()


def test_a_source_that_opens_but_gives_no_frames_is_retried_with_growing_backoff() -> None:
    source = _FlakySource(frames_per_session=0)
    capture = CaptureThread(source, max_backoff_s=2.0)
    _run_for(capture, 2.5)
    # Waits of 0.5, 1 and 2 s: at most 3 to 4 opens in 2.5 s (a tight loop would open thousands of times).
    assert 2 <= source.opens <= 4, source.opens
    assert capture.stats.frames == 0


def test_backoff_starts_over_after_a_session_that_gave_frames() -> None:
    source = _FlakySource(frames_per_session=1)
    capture = CaptureThread(source, max_backoff_s=2.0)
    _run_for(capture, 4.0)
    # Every session gives one good frame, so every wait is the first, short one (0.5 s): about eight sessions.
    # Were the backoff to grow regardless (0.5, 1, 2 s), there would be four.
    assert source.opens >= 6, source.opens
    assert capture.stats.frames == source.opens or capture.stats.frames == source.opens - 1


def test_opencv_errors_in_open_and_read_do_not_kill_the_thread() -> None:
    source = _FlakySource(frames_per_session=50, fail_first=True)
    capture = CaptureThread(source, max_backoff_s=0.1)
    capture.start()
    deadline = time.monotonic() + 5
    while capture.stats.frames < 50 and time.monotonic() < deadline:
        capture.latest(timeout=0.05)
    alive = capture._thread.is_alive()
    capture.stop()
    assert alive and capture.stats.frames >= 50
    assert capture.stats.reconnects >= 1


def test_a_file_without_loop_ends_the_capture_instead_of_starting_over(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 50.0, (64, 48))
    for index in range(10):
        writer.write(SyntheticScene(64, 48, 50.0).render(index))
    writer.release()
    capture = CaptureThread(OpenCVSource(str(video), loop=False), max_backoff_s=0.1)
    _run_for(capture, 1.5)
    assert capture.finished
    assert capture.stats.frames == 10, "played once, not again after a 'reconnect'"
    assert capture.stats.reconnects == 0


def test_a_looping_file_keeps_playing(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 50.0, (64, 48))
    for index in range(5):
        writer.write(SyntheticScene(64, 48, 50.0).render(index))
    writer.release()
    capture = CaptureThread(OpenCVSource(str(video), loop=True), max_backoff_s=0.1)
    _run_for(capture, 1.0)
    assert not capture.finished and capture.stats.frames > 10 and capture.stats.reconnects == 0
