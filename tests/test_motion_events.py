from __future__ import annotations

from camera_node.motion import MotionConfig, MotionDetector, MotionResult
from camera_node.motion_events import MotionEventRule
from camera_node.synthetic import SyntheticScene
from nattvakt.events import Origin
from privacy import PrivacyFilter, RawFrame

ROOM = Origin("node-t", "rum-t", "Rut")


def test_synthetic_walk_gives_one_open_and_one_end() -> None:
    fps = 10.0
    scene = SyntheticScene(320, 240, fps)
    motion = MotionDetector(MotionConfig(threshold=0.004))
    rule = MotionEventRule(ROOM, quiet_s=2.0)
    events = []
    filt = PrivacyFilter()
    first_motion_frame = None
    for index in range(int(scene.timing.cycle_s * fps)):
        private = filt.make_private(RawFrame(scene.render(index), index=index, captured_at=index / fps))
        result = motion.update(private)
        if result.moving and first_motion_frame is None:
            first_motion_frame = index
        event = rule.update(result, index / fps)
        if event:
            events.append((index, event))
    assert [e.state for _, e in events] == ["open", "ended"]
    opened_at, opened = events[0]
    ended_at, ended = events[1]
    walk_start = int(scene.timing.walk_start_s * fps)
    walk_end = int(scene.timing.walk_end_s * fps)
    assert walk_start <= opened_at <= walk_start + 1, "motion opens on the first frames of the walk"
    assert walk_end + 2.0 * fps <= ended_at <= walk_end + 2.0 * fps + 2
    assert opened.id == ended.id and ended.seq == opened.seq + 1
    assert opened.node == "node-t" and opened.recipient == "Rut" and opened.kind == "motion"


def test_static_noisy_scene_raises_nothing() -> None:
    scene = SyntheticScene(320, 240, 10.0)
    motion = MotionDetector(MotionConfig(threshold=0.004))
    rule = MotionEventRule(ROOM, quiet_s=2.0)
    filt = PrivacyFilter()
    for index in range(30):  # the first 3 s of the cycle are an empty room with sensor noise
        private = filt.make_private(RawFrame(scene.render(index), index=index, captured_at=0.0))
        assert rule.update(motion.update(private), index / 10) is None


def test_rule_ends_event_even_without_frames() -> None:
    rule = MotionEventRule(ROOM, quiet_s=1.0)
    assert rule.update(MotionResult(0.5, True), 0.0) is not None
    assert rule.update(MotionResult(0.0, False), 0.5) is None
    ended = rule.update(MotionResult(0.0, False), 1.1)
    assert ended is not None and ended.state == "ended" and ended.ended_at is not None
