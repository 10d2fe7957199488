"""Capture: sources, latest-frame-wins, bad frames and bad source specs never crash the node."""

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
