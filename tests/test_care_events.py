"""Care events from real video through the node's real pipeline (privacy → motion → gated NanoDet → rules).

The bedroom clips (GMDCSA24) are not in the repository: these tests read them from ../shared/data when present
and skip, saying so, when not. vtest.avi comes from Debian's opencv-doc.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from benchmarks.events import ROOM, ROOM_ZONES, bedroom_clips, run_clip
from benchmarks.footage import VTEST, gmdcsa24_dir, read_frames
from camera_node.faults import CameraFaultMonitor
from camera_node.motion import MotionDetector
from camera_node.motion_events import MotionEventRule
from camera_node.pipeline import FrameProcessor
from camera_node.rules.stage import build_detection_stage
from camera_node.timing import StageTimings
from nattvakt.events import Event, Severity
from nattvakt.settings import NodeSettings
from privacy import PrivacyFilter, RawFrame

needs_bedroom = pytest.mark.skipif(
    gmdcsa24_dir() is None, reason="GMDCSA24 bedroom clips not found (../shared/data/gmdcsa24 or NATTVAKT_FOOTAGE_DIR)"
)
needs_vtest = pytest.mark.skipif(not VTEST.exists(), reason="Debian opencv-doc (vtest.avi) is not installed")


def _clip(name: str) -> Path:
    root = gmdcsa24_dir()
    assert root is not None
    path = root / name
    if not path.exists():
        pytest.skip(f"{name} is not in {root}")
    return path


@needs_bedroom
def test_a_fall_to_the_floor_raises_one_on_floor_within_ten_seconds() -> None:
    clip = next(c for c in bedroom_clips() if c.path.name == "Subject_1-Fall-14.mp4")
    assert clip.floor_fall_at is not None  # the labels say the fall ends on the floor
    run = run_clip(clip.path, ROOM_ZONES[clip.room])
    floor = [(t, e) for t, e in run.events if e.kind == "on_floor"]
    assert [e.state for _, e in floor] == ["open"], "one situation, opened once, no storm"
    at, event = floor[0]
    assert 0 < at - clip.floor_fall_at <= 10.0
    assert event.severity == Severity.HIGH and event.zone == "golv" and event.confidence >= 0.7
    assert run.frames_with_track >= 0.7 * run.frames


@needs_bedroom
def test_lying_down_on_the_bed_is_not_on_floor() -> None:
    """The person falls backwards onto the bed and lies there, as someone asleep would: no alarm."""
    path = _clip("Subject_2-Fall-14.mp4")
    clip = next(c for c in bedroom_clips() if c.path == path)
    assert clip.floor_fall_at is None and "on the bed" in clip.description
    run = run_clip(path, ROOM_ZONES[clip.room])
    assert run.opened("on_floor") == []
    assert run.opened("person_entered") != []  # the person was seen, so the silence means something


def _vtest_through(settings: NodeSettings, frames: int, timings: StageTimings | None = None) -> list[Event]:
    stage = build_detection_stage(settings, ROOM, timings=timings)
    processor = FrameProcessor(
        PrivacyFilter(), MotionDetector(), MotionEventRule(ROOM, 3.0), CameraFaultMonitor(ROOM, 10.0), ROOM,
        detect=stage, timings=timings,
    )
    events: list[Event] = []
    for index, pixels in enumerate(read_frames(VTEST, limit=frames)):
        private = processor.privacy.make_private(RawFrame(pixels, index=index, captured_at=index / 10))
        events += processor.process(private, index / 10, 0.0)
    return events


@needs_vtest
@pytest.mark.parametrize("problem", ["missing", "corrupt"])
def test_a_bad_model_raises_detector_fault_once_and_the_node_keeps_watching(tmp_path: Path, problem: str) -> None:
    model = tmp_path / "nanodet-g.int8.onnx"
    sha = None
    if problem == "corrupt":
        model.write_bytes(b"\x08\x07not an onnx graph" * 100)
        sha = hashlib.sha256(model.read_bytes()).hexdigest()  # the right sum of the wrong bytes: the runtime refuses
    settings = NodeSettings(detector_model=model, detector_model_sha256=sha)
    events = _vtest_through(settings, 40)
    faults = [e for e in events if e.kind == "detector_fault"]
    assert [e.state for e in faults] == ["open"]
    assert faults[0].severity == Severity.MEDIUM and faults[0].details["fallback"] == "motion-only rules"
    assert str(model) in faults[0].details["message"]
    assert any(e.kind == "motion" for e in events), "motion rules still run without the detector"
    assert not any(e.kind == "person_entered" for e in events)


@needs_vtest
def test_with_the_committed_model_pedestrians_are_people_and_there_is_no_fault() -> None:
    timings = StageTimings()
    events = _vtest_through(NodeSettings(), 40, timings)
    kinds = {e.kind for e in events}
    assert "detector_fault" not in kinds
    assert {"person_entered", "multiple_people"} <= kinds
    # The detector's own time, on the frames it ran on: 40 frames at 10 fps are 4 s, gated to at most 5 runs a second.
    runs = timings.summary()["detector"]
    assert 5 <= runs.count <= 21 and runs.p50_ms > 0
    assert timings.summary()["detect"].count == 40
    entered = [e for e in events if e.kind == "person_entered"]
    assert [e.state for e in entered] == ["open", "ended"]  # a moment, and only when the room had nobody
