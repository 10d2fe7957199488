"""Camera faults on real OpenCV video through the real capture and pipeline threads.

A black, frozen or covered picture, or a camera that disappears, raises `camera_fault`
with its reason within the configured time, and ends it when the picture returns.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np

from camera_node.capture import CaptureThread, OpenCVSource
from camera_node.faults import CameraFaultMonitor, classify
from camera_node.motion import MotionDetector
from camera_node.motion_events import MotionEventRule
from camera_node.pipeline import FramePipeline, FrameProcessor
from camera_node.synthetic import SyntheticScene
from nattvakt.events import Event, Origin
from privacy import PrivacyFilter

ROOM = Origin("node-f", "rum-f", "")
FPS = 20.0
AFTER_S = 0.5


def _write_video(path: Path, segments: list[tuple[str, float]]) -> None:
    scene = SyntheticScene(160, 120, FPS)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), FPS, (160, 120))
    index = 0
    rng = np.random.default_rng(1)
    for kind, seconds in segments:
        frozen = scene.render(index)
        for _ in range(int(seconds * FPS)):
            if kind == "black":
                frame = np.zeros((120, 160, 3), np.uint8)
            elif kind == "covered":  # a hand over the lens: flat, but the sensor still adds noise
                flat = np.full((120, 160, 3), (38, 44, 52), np.float32) + rng.normal(0, 1.5, (120, 160, 3))
                frame = np.clip(flat, 0, 255).astype(np.uint8)
            elif kind == "frozen":
                frame = frozen
            else:
                frame = scene.render(index)
            writer.write(frame)
            index += 1
    writer.release()


class _Collector:
    def __init__(self) -> None:
        self.events: list[tuple[float, Event]] = []
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.events.append((time.monotonic(), event))

    def faults(self) -> list[tuple[float, str, str]]:
        with self._lock:
            return [(t, e.state, e.details["reason"]) for t, e in self.events if e.kind == "camera_fault"]


def _pipeline(source: OpenCVSource, collect: _Collector) -> tuple[CaptureThread, FramePipeline]:
    capture = CaptureThread(source, max_backoff_s=0.3)
    processor = FrameProcessor(
        PrivacyFilter(), MotionDetector(), MotionEventRule(ROOM, 1.0), CameraFaultMonitor(ROOM, AFTER_S), ROOM
    )
    return capture, FramePipeline(capture, processor, emit=collect)


def test_black_frozen_and_covered_pictures_raise_and_clear_faults(tmp_path: Path) -> None:
    video = tmp_path / "faults.avi"
    segments = [("ok", 0.6), ("black", 1.2), ("ok", 0.6), ("frozen", 1.2), ("ok", 0.6), ("covered", 1.2), ("ok", 0.6)]
    _write_video(video, segments)
    collect = _Collector()
    capture, pipeline = _pipeline(OpenCVSource(str(video), loop=False), collect)
    start = time.monotonic()
    capture.start()
    pipeline.start()
    try:
        deadline = start + 12
        while len(collect.faults()) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        capture.stop()
        pipeline.stop()
    faults = collect.faults()
    assert [(state, reason) for _, state, reason in faults[:6]] == [
        ("open", "black"), ("ended", "black"), ("open", "frozen"), ("ended", "frozen"),
        ("open", "covered"), ("ended", "covered"),
    ], faults
    black_starts = start + 0.6
    assert faults[0][0] - black_starts < AFTER_S + 0.5, "raised within the configured time (plus a frame or two)"
    motion_opens = [e for _, e in collect.events if e.kind == "motion" and e.state == "open"]
    assert len(motion_opens) <= 1, "faults and their recovery are not motion bursts"


def test_unplugged_camera_is_lost_then_back(tmp_path: Path) -> None:
    video = tmp_path / "camera.avi"
    _write_video(video, [("ok", 1.0)])
    spare = tmp_path / "spare.avi"
    video.rename(spare)
    collect = _Collector()
    capture, pipeline = _pipeline(OpenCVSource(str(video), loop=True), collect)
    capture.start()
    pipeline.start()
    try:
        deadline = time.monotonic() + 10
        while not collect.faults() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert collect.faults() and collect.faults()[0][1:] == ("open", "lost")
        spare.rename(video)  # plugged back in: capture reconnects with backoff
        while len(collect.faults()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        capture.stop()
        pipeline.stop()
    assert [f[1:] for f in collect.faults()[:2]] == [("open", "lost"), ("ended", "lost")]
    assert capture.stats.frames > 0


def test_classify_reasons() -> None:
    grey = SyntheticScene(160, 120).render(3)[:, :, 0]
    assert classify(None, 0, None) == "lost"
    assert classify(np.zeros((120, 160), np.uint8), 1, None) == "black"
    assert classify(grey, 7, 7) == "frozen"
    assert classify(np.full((120, 160), 90, np.uint8), 1, 2) == "covered"
    assert classify(grey, 1, 2) is None
