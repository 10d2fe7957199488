"""Care events from real video through the node's real pipeline (privacy + perception → motion → rules).

The fall clips are not in the repository: these tests read them from ../shared/data when present and skip, saying
so, when not. vtest.avi comes from Debian's opencv-doc.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from benchmarks.events import ROOM, run_fall_clip, vtest_frames
from benchmarks.fall_footage import FallClip, fall_clips
from benchmarks.footage import VTEST
from camera_node.faults import CameraFaultMonitor
from camera_node.motion import MotionDetector
from camera_node.motion_events import MotionEventRule
from camera_node.pipeline import FrameProcessor
from camera_node.rules import stage as stage_module
from camera_node.rules.stage import build_detection_stage, build_privacy_filter
from camera_node.timing import StageTimings
from nattvakt.events import Event, Severity
from nattvakt.settings import NodeSettings
from privacy import PrivacyFilter, RawFrame
from privacy.pose import MODEL_PATH, PoseModel

needs_vtest = pytest.mark.skipif(not VTEST.exists(), reason="Debian opencv-doc (vtest.avi) is not installed")


def _clip(name: str) -> FallClip:
    clip = next((c for c in fall_clips() if c.name == name), None)
    if clip is None:
        pytest.skip(f"{name} not found (../shared/data or NATTVAKT_FOOTAGE_DIR)")
    return clip


def test_a_fall_to_the_floor_raises_one_on_floor_within_ten_seconds() -> None:
    clip = _clip("Subject_1-Fall-14")
    assert clip.fall_at is not None  # the labels say the fall ends on the floor
    run = run_fall_clip(clip)
    floor = [(t, e) for t, e in run.events if e.kind == "on_floor"]
    assert [e.state for _, e in floor] == ["open"], "one situation, opened once, no storm"
    at, event = floor[0]
    assert 0 < at - clip.fall_at <= 10.0
    assert event.severity == Severity.HIGH and event.zone == "golv" and event.confidence >= 0.7
    assert run.frames_with_track >= 0.7 * run.frames


def test_a_person_seen_only_lying_on_the_floor_becomes_a_track_and_an_alarm() -> None:
    """UR Fall: the person falls in the first seconds; weak lying detections alone must start a track."""
    clip = _clip("urfd-fall-01")
    assert clip.fall_at is not None
    run = run_fall_clip(clip)
    opened = run.opened("on_floor")
    assert opened and 0 < opened[0] - clip.fall_at <= 10.0


def test_lying_down_on_the_bed_is_not_on_floor() -> None:
    """The person falls backwards onto the bed and lies there, as someone asleep would: no alarm."""
    clip = _clip("Subject_2-Fall-14")
    assert clip.fall_at is None and "on the bed" in clip.description
    run = run_fall_clip(clip)
    assert run.opened("on_floor") == []
    assert run.opened("person_entered") != []  # the person was seen, so the silence means something


def _vtest_through(privacy: PrivacyFilter, settings: NodeSettings, frames: int, load_error: str | None = None,
                   timings: StageTimings | None = None) -> list[Event]:
    stage = build_detection_stage(settings, ROOM, timings=timings, load_error=load_error)
    processor = FrameProcessor(
        privacy, MotionDetector(), MotionEventRule(ROOM, 3.0), CameraFaultMonitor(ROOM, 10.0), ROOM,
        detect=stage, timings=timings,
    )
    events: list[Event] = []
    for index, (now, pixels) in enumerate(vtest_frames(frames)):
        events += processor.process(processor.make_private(RawFrame(pixels, index=index, captured_at=now), now), now,
                                    0.0)
    return events


@needs_vtest
def test_a_corrupt_pose_model_raises_detector_fault_once_and_the_node_keeps_watching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corrupt = tmp_path / "movenet-multipose.onnx"
    corrupt.write_bytes(MODEL_PATH.read_bytes()[:300_000])
    # The node's own builder, loading a real (truncated) model file from disk.
    monkeypatch.setattr(stage_module, "PoseModel", functools.partial(PoseModel, corrupt))
    privacy, error = build_privacy_filter(NodeSettings())
    assert error is not None and str(corrupt) in error and not privacy.perceives
    events = _vtest_through(privacy, NodeSettings(), 40, load_error=error)
    faults = [e for e in events if e.kind == "detector_fault"]
    assert [e.state for e in faults] == ["open"]
    assert faults[0].severity == Severity.MEDIUM and faults[0].details["fallback"] == "motion-only rules"
    assert any(e.kind == "motion" for e in events), "motion rules still run without perception"
    assert not any(e.kind == "person_entered" for e in events)


@needs_vtest
def test_with_the_committed_models_pedestrians_are_people_and_there_is_no_fault() -> None:
    timings = StageTimings()
    privacy, error = build_privacy_filter(NodeSettings())
    assert error is None
    events = _vtest_through(privacy, NodeSettings(), 40, timings=timings)
    kinds = {e.kind for e in events}
    assert "detector_fault" not in kinds
    assert {"person_entered", "multiple_people"} <= kinds
    # Perception's own time, on the frames it ran on: 40 frames at 10 fps are 4 s, gated to at most 5 looks a second.
    runs = timings.summary()["perception"]
    assert 5 <= runs.count <= 21 and runs.p50_ms > 0
    assert timings.summary()["detect"].count == 40
    entered = [e for e in events if e.kind == "person_entered"]
    assert [e.state for e in entered] == ["open", "ended"]  # a moment, and only when the room had nobody
