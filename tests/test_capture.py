"""Capture: sources, latest-frame-wins, reconnect backoff (reset by a good frame, never a tight loop), bad frames,
backend errors and bad source specs never crash the node; a file without loop ends."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from camera_node.capture import CaptureError, CaptureThread, OpenCVSource, check_source_spec, open_source
from camera_node.synthetic import SyntheticScene
from privacy.frames import Pixels


class _ListSource:
    """A real `Source` that replays a fixed list of arrays (some of them bad), then ends."""

    description = "list"

    def __init__(self, frames: list[object]) -> None:
        self._frames = frames
        self._position = 0

    def open(self) -> None:
        if self._position >= len(self._frames):
            raise CaptureError("list source exhausted")

    def read(self) -> Pixels | None:
        if self._position >= len(self._frames):
            return None
        frame = self._frames[self._position]
        self._position += 1
        time.sleep(0.002)
        return frame  # type: ignore[return-value]

    def close(self) -> None:
        pass


def test_bad_frames_are_skipped_or_converted_and_counted() -> None:
    good = np.zeros((48, 64, 3), np.uint8)
    frames: list[object] = [
        good,
        np.zeros((0, 64, 3), np.uint8),  # zero-size
        np.zeros((48, 64, 3), np.float32),  # wrong dtype
        np.zeros((48, 64, 5), np.uint8),  # wrong channel count
        np.zeros((48, 64), np.uint8),  # grey camera: converted
        np.zeros((48, 64, 4), np.uint8),  # BGRA: converted
        np.zeros((96, 128, 3), np.uint8),  # new size mid-stream
        good,
    ]
    capture = CaptureThread(_ListSource(frames), max_backoff_s=0.05)
    capture.start()
    taken = []
    deadline = time.monotonic() + 5
    while capture.stats.frames + capture.stats.bad_frames < len(frames) and time.monotonic() < deadline:
        frame = capture.latest(timeout=0.05)
        if frame is not None:
            taken.append(frame.shape)
    capture.stop()
    assert capture.stats.bad_frames == 3
    assert capture.stats.converted == 2
    assert capture.stats.size_changes == 2, "to 96x128 and back"
    assert capture.stats.frames == 5


def test_latest_frame_wins_and_drops_are_counted() -> None:
    capture = CaptureThread(open_source("synthetic", width=64, height=48, fps=200.0, loop=True))
    capture.start()
    try:
        indices = []
        for _ in range(5):
            time.sleep(0.1)  # a slow stage
            frame = capture.latest(timeout=1.0)
            assert frame is not None
            indices.append(frame.index)
    finally:
        capture.stop()
    assert capture.stats.dropped > 0
    assert all(later - earlier > 1 for earlier, later in itertools.pairwise(indices))


def test_file_source_is_paced_at_its_fps_and_loops(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 25.0, (64, 48))
    scene = SyntheticScene(64, 48, 25.0)
    for index in range(10):
        writer.write(scene.render(index))
    writer.release()
    source = OpenCVSource(str(video), loop=True)
    source.open()
    start = time.monotonic()
    frames = [source.read() for _ in range(15)]
    elapsed = time.monotonic() - start
    source.close()
    assert all(f is not None and f.shape == (48, 64, 3) for f in frames), "loops past its 10 frames"
    assert 0.45 < elapsed < 1.5, f"15 frames at 25 fps take about 0.6 s, took {elapsed:.2f}"


def test_truncated_video_ends_without_crashing(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 50.0, (64, 48))
    for index in range(20):
        writer.write(SyntheticScene(64, 48).render(index))
    writer.release()
    data = video.read_bytes()
    video.write_bytes(data[: len(data) // 2])
    source = OpenCVSource(str(video), loop=False)
    source.open()
    frames = [source.read() for _ in range(25)]
    source.close()
    good = [f for f in frames if f is not None]
    assert 0 < len(good) < 20 and frames[-1] is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("ftp://camera/stream", "unsupported camera source scheme 'ftp'"),
        ("/no/such/clip.mp4", "camera source file not found: '/no/such/clip.mp4'"),
        ("synthetic:volcano", "unknown synthetic scenario in 'synthetic:volcano'"),
    ],
)
def test_bad_source_specs_are_named_at_start(spec: str, message: str) -> None:
    with pytest.raises(CaptureError, match=message):
        check_source_spec(spec)


def test_synthetic_scenarios_are_sources() -> None:
    check_source_spec("synthetic:light_switch")
    source = open_source("synthetic:insects", width=64, height=48, fps=100.0, loop=True)
    source.open()
    frame = source.read()
    assert frame is not None and frame.shape == (48, 64, 3)
    assert "insects" in source.description


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
