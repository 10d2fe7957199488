"""Motion on synthetic scenes with exact ground truth: light switches, IR noise, insects, drift, close-ups."""

from __future__ import annotations

import pytest

from camera_node.motion import MotionConfig, MotionDetector, Polygon, ignore_mask
from camera_node.motion_events import MotionEventRule
from camera_node.synthetic import Scenario, SyntheticScene
from nattvakt.events import Event, Origin
from privacy import PrivacyFilter, RawFrame

ROOM = Origin("node-m", "rum-m", "")
FPS = 10.0


def _run(
    scenario: Scenario, config: MotionConfig | None = None, size: tuple[int, int] = (320, 240)
) -> tuple[SyntheticScene, list[float], list[int], list[Event]]:
    scene = SyntheticScene(size[0], size[1], FPS, scenario=scenario)
    filt, motion, rule = PrivacyFilter(), MotionDetector(config), MotionEventRule(ROOM, quiet_s=2.0)
    opened: list[float] = []
    lights: list[int] = []
    events: list[Event] = []
    for index in range(int(scene.timing.cycle_s * FPS)):
        result = motion.update(filt.make_private(RawFrame(scene.render(index), index=index, captured_at=0.0)))
        if result.light_change:
            lights.append(index)
        event = rule.update(result, index / FPS)
        if event is not None:
            events.append(event)
            if event.state == "open":
                opened.append(index / FPS)
    return scene, opened, lights, events


def test_light_switch_and_ir_mode_raise_light_change_not_motion() -> None:
    scene, opened, lights, _ = _run("light_switch")
    switches = [i for i in range(int(scene.timing.cycle_s * FPS)) if scene.truth(i).light_switched]
    assert switches == [30, 80]
    assert lights == switches, "each switch is reported on its own frame, once"
    walk = scene.timing.walk_start_s
    assert len(opened) == 1 and walk <= opened[0] <= walk + 0.5, "only the walk after the switches is motion"


@pytest.mark.parametrize("scenario", ["insects", "drift", "noise", "covered", "black", "frozen"])
def test_static_scenes_raise_no_motion(scenario: Scenario) -> None:
    _, opened, _, _ = _run(scenario)
    assert opened == []


def test_someone_close_to_the_camera_is_motion_not_a_light_change() -> None:
    _, opened, lights, _ = _run("close")
    assert lights == []
    assert len(opened) == 1 and 5.0 <= opened[0] <= 5.6


def test_walk_opens_one_event_with_regions() -> None:
    scene = SyntheticScene(320, 240, FPS)
    filt, motion = PrivacyFilter(), MotionDetector()
    moving = []
    for index in range(40, 60):
        result = motion.update(filt.make_private(RawFrame(scene.render(index), index=index, captured_at=0.0)))
        moving.append(result)
    late = moving[-1]
    assert late.moving and late.regions
    x, y, w, h = max(late.regions, key=lambda r: r[2] * r[3])
    assert x + w > 150 and y < 120 < y + h, "the region covers the walker (right half, mid-height)"


def test_ignore_polygon_hides_a_tv_or_curtain() -> None:
    whole_floor: Polygon = ((0.0, 0.2), (1.0, 0.2), (1.0, 1.0), (0.0, 1.0))
    _, opened, _, _ = _run("walk", MotionConfig(ignore=(whole_floor,)))
    assert opened == [], "the walker only moves inside the ignored area"
    mask = ignore_mask((((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)),), 160, 120)
    assert mask[:, :78].max() == 0 and mask[:, 82:].min() == 255


def test_new_frame_size_mid_stream_reinitialises_without_motion() -> None:
    filt, motion = PrivacyFilter(), MotionDetector()
    for index, size in enumerate([(320, 240)] * 5 + [(640, 480)] * 5):
        scene = SyntheticScene(*size, fps=FPS)
        result = motion.update(filt.make_private(RawFrame(scene.render(index), index=index, captured_at=0.0)))
        assert not result.moving
