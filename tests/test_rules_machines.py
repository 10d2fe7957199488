"""State machines, tracker and room rules as pure logic: boxes and times in, events out (no video)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from camera_node.rules.hysteresis import Hysteresis, HysteresisConfig
from camera_node.rules.posture import PostureConfig, is_lying, is_still
from camera_node.rules.room import RoomRules
from camera_node.rules.tracker import PersonBox, PersonTracker, TrackerConfig, merge_parts
from camera_node.rules.zones import RoomZones
from nattvakt.events import Event, Origin, Severity
from nattvakt.geometry import Box
from nattvakt.settings import RuleSettings, ZoneSettings
from privacy.observations import HIPS, SHOULDERS, Keypoint

ROOM = Origin("node-t", "rum-t", "Anna")
EPOCH = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
STANDING: Box = (0.40, 0.20, 0.55, 0.90)
LYING: Box = (0.30, 0.78, 0.70, 0.98)
IN_BED: Box = (0.15, 0.30, 0.40, 0.50)
ZONES = RoomZones.from_settings([
    ZoneSettings(name="golv", kind="floor", polygon=((0.0, 0.6), (1.0, 0.6), (1.0, 1.0), (0.0, 1.0))),
    ZoneSettings(name="säng", kind="bed", polygon=((0.1, 0.25), (0.45, 0.25), (0.45, 0.55), (0.1, 0.55))),
    ZoneSettings(name="dörr", kind="door", polygon=((0.8, 0.1), (0.95, 0.1), (0.95, 0.9), (0.8, 0.9))),
])


def _wall(at: float) -> datetime:
    return EPOCH + timedelta(seconds=at)


# --- hysteresis -----------------------------------------------------------------------------------------------


def test_opens_only_after_holding_and_ends_only_after_clearing() -> None:
    machine = Hysteresis(HysteresisConfig(on_after_s=2.0, off_after_s=3.0))
    changes = {}
    for step in range(0, 100):
        now = step * 0.1
        change = machine.update(now, 1.0 <= now < 5.0)
        if change:
            changes[change] = now
    assert changes["open"] == pytest.approx(3.0, abs=0.11)
    assert machine.opened_at == pytest.approx(1.0) or "end" in changes
    assert changes["end"] == pytest.approx(4.9 + 3.0, abs=0.11)


def test_a_missed_frame_now_and_then_does_not_restart_the_clock() -> None:
    machine = Hysteresis(HysteresisConfig(on_after_s=2.0, off_after_s=3.0, on_ratio=0.7))
    opened = [step / 10 for step in range(60) if machine.update(step / 10, step % 5 != 0) == "open"]
    assert len(opened) == 1 and opened[0] <= 2.3


def test_time_must_not_go_backwards() -> None:
    machine = Hysteresis(HysteresisConfig(1.0, 1.0))
    machine.update(5.0, True)
    with pytest.raises(ValueError, match="backwards"):
        machine.update(4.0, True)


@given(
    flags=st.lists(st.booleans(), min_size=1, max_size=300),
    on_after=st.floats(0.2, 3.0), off_after=st.floats(0.2, 3.0), ratio=st.floats(0.3, 1.0),
    step=st.floats(0.02, 0.5),
)
def test_transitions_alternate_and_respect_their_conditions(
    flags: list[bool], on_after: float, off_after: float, ratio: float, step: float
) -> None:
    """No storms: open/end alternate, opening only while the condition holds, ending only after it cleared."""
    machine = Hysteresis(HysteresisConfig(on_after, off_after, ratio))
    last_true: float | None = None
    expected = "open"
    for index, flag in enumerate(flags):
        now = index * step
        change = machine.update(now, flag)
        if flag:
            last_true = now
        if change is None:
            continue
        assert change == expected
        if change == "open":
            assert flag and machine.opened_at is not None and now - machine.opened_at >= on_after - step - 1e-6
        else:
            assert last_true is not None and now - last_true >= off_after - 1e-9
        expected = "end" if change == "open" else "open"


# --- tracker --------------------------------------------------------------------------------------------------


def test_a_track_needs_a_sure_hit_and_survives_frames_without_detections() -> None:
    tracker = PersonTracker(TrackerConfig(start_score=0.5, keep_score=0.25, confirm_hits=3))
    assert tracker.update(0.0, [PersonBox(STANDING, 0.3)], []).tracks == ()  # one weak box is nobody yet
    assert tracker.update(0.1, [PersonBox(STANDING, 0.3)], []).tracks == ()
    step = tracker.update(0.2, [PersonBox(STANDING, 0.6)], [])  # a sure one among three: a person
    assert len(step.tracks) == 1 and step.confirmed == step.tracks
    for tick in range(4, 400):  # a minute with no detection and no motion: a person does not vanish
        step = tracker.update(tick / 10, [] if tick % 20 == 0 else None, [])
    assert len(step.tracks) == 1 and step.left == ()


def test_a_person_first_seen_lying_starts_a_track_from_consistent_weak_detections() -> None:
    """Seen in a fall lab: a lying person scored 0.41-0.45 for a whole clip and, with no sure detection, was never
    tracked. Weak detections in one place over `weak_span_s` make a person; a single weak flicker does not."""
    config = TrackerConfig(start_score=0.5, keep_score=0.25, weak_hits=6, weak_span_s=1.5)
    pose = _pose((0.35, 0.85), (0.55, 0.87))
    tracker = PersonTracker(config)
    confirmed_at = None
    for tick in range(30):  # 5 looks a second
        step = tracker.update(tick / 5, [PersonBox(LYING, 0.42, pose)], [])
        if step.tracks and confirmed_at is None:
            confirmed_at = tick / 5
    assert confirmed_at is not None and 1.5 <= confirmed_at <= 2.0
    flicker = PersonTracker(config)
    for tick in range(30):
        step = flicker.update(tick / 5, [PersonBox(LYING, 0.42, pose)] if tick % 8 == 0 else [], [])
    assert step.tracks == ()
    # A box without a pose (an office chair scored 0.38 by the box detector, all clip long) is never a person.
    chair = PersonTracker(config)
    for tick in range(60):
        step = chair.update(tick / 5, [PersonBox((0.0, 0.45, 0.18, 0.98), 0.38)], [])
    assert step.tracks == ()


def test_a_weak_box_elsewhere_does_not_pull_a_track_away_and_no_speed_comes_from_a_jump() -> None:
    """Seen in a bedroom: during a fall a weak (0.26) box of something on the bed took the person's track, and the
    jump became a speed that carried the box to the edge of the view."""
    tracker = PersonTracker(TrackerConfig(start_score=0.5, keep_score=0.25, confirm_hits=2))
    for tick in range(3):
        tracker.update(tick / 10, [PersonBox(STANDING, 0.7)], [])
    on_bed: Box = (0.6, 0.3, 0.9, 0.5)  # near, not overlapping: only a centre-distance match would take it
    step = tracker.update(0.3, [PersonBox(on_bed, 0.26)], [])
    assert [t.box for t in step.tracks] == [STANDING]
    jumped: Box = (0.75, 0.1, 0.9, 0.9)  # a sure detection far off: matched, but no speed from it
    step = tracker.update(0.4, [PersonBox(jumped, 0.7)], [])
    (track,) = [t for t in step.tracks if t.box == jumped] or step.tracks
    assert track.velocity == (0.0, 0.0)
    for tick in range(5, 30):
        step = tracker.update(tick / 10, None, [])
    assert all(t.box in (jumped, STANDING) for t in step.tracks), "no box drifts on without a detection"


def test_motion_is_a_sign_of_life_but_never_reshapes_a_track() -> None:
    tracker = PersonTracker(TrackerConfig(confirm_hits=2))
    for tick in range(3):
        tracker.update(tick / 10, [PersonBox(LYING, 0.7)], [])
    trace: Box = (0.2, 0.2, 0.5, 0.97)  # the background model's trace of where the person stood
    for tick in range(3, 60):
        step = tracker.update(tick / 10, None, [trace])
    (track,) = step.tracks
    assert track.box == LYING and track.last_moved == pytest.approx(5.9)


def test_a_track_last_seen_at_the_door_leaves() -> None:
    tracker = PersonTracker(TrackerConfig(confirm_hits=2, exit_gone_s=2.0), exits=[ZONES.of_kind("door")[0].polygon])
    at_door: Box = (0.82, 0.2, 0.92, 0.85)
    for tick in range(3):
        tracker.update(tick / 10, [PersonBox(at_door, 0.8)], [])
    left = [step.left for tick in range(3, 40) if (step := tracker.update(tick / 10, [], [])).left]
    assert len(left) == 1 and tracker.tracks == ()


def test_a_lying_person_found_in_parts_is_one_box() -> None:
    whole = PersonBox(LYING, 0.3)
    torso = PersonBox((0.32, 0.8, 0.45, 0.97), 0.35)
    assert merge_parts([torso, whole]) == [PersonBox(LYING, 0.35)]
    stray = PersonBox((0.0, 0.0, 1.0, 1.0), 0.1)  # a faint box around everything is not the whole
    assert merge_parts([stray, torso]) == [torso]


def test_a_weak_upright_box_beside_a_lying_person_does_not_take_their_track() -> None:
    """Seen on GMDCSA24 Subject_1-Fall-15: after the fall the chair scored 0.36 as a person and, touching the lying
    person's box, took over their track, so the person read as upright and no on_floor opened."""
    tracker = PersonTracker(TrackerConfig(start_score=0.5, keep_score=0.25, confirm_hits=2))
    for tick in range(3):
        tracker.update(tick / 10, [PersonBox(LYING, 0.6)], [])
    chair: Box = (0.42, 0.55, 0.52, 0.9)  # upright, overlapping the lying box's end a little
    step = tracker.update(0.3, [PersonBox(chair, 0.36)], [])
    assert [t.box for t in step.tracks] == [LYING]
    getting_up: Box = (0.3, 0.5, 0.45, 0.97)  # upright and surely a person: the same person standing up
    step = tracker.update(0.4, [PersonBox(getting_up, 0.7)], [])
    assert [t.box for t in step.tracks] == [getting_up]


def test_a_lost_lying_person_keeps_their_track_when_a_sure_box_sits_on_another_track() -> None:
    """Seen on an IR-like night variant of a fall-lab clip: the lying person went unseen for 4 s, their track's
    reach grew, and a sure box of a coat by the wall (a track of its own) took it over; the fall was lost."""
    tracker = PersonTracker(TrackerConfig(start_score=0.5, keep_score=0.25, confirm_hits=2))
    lying: Box = (0.34, 0.67, 0.59, 0.99)
    coat: Box = (0.0, 0.48, 0.18, 0.98)
    for tick in range(3):
        tracker.update(tick / 5, [PersonBox(lying, 0.6)], [])
    for tick in range(3, 20):  # the coat is seen weakly (a track not yet confirmed), the lying person not at all
        tracker.update(tick / 5, [PersonBox(coat, 0.45)], [])
    step = tracker.update(4.0, [PersonBox(coat, 0.57)], [])
    assert lying in [t.box for t in step.tracks]


def test_a_part_replacing_a_lying_body_is_not_movement_but_crawling_away_is() -> None:
    """Seen on GMDCSA24 Subject_2-Fall-13: a weak box on the lying person's legs replaced the whole box, its
    centre jumped by more than half of the *small* box, and the person read as moving for a second."""
    config = PostureConfig()
    lying: Box = (0.45, 0.68, 0.90, 1.00)
    history = [(t / 10, lying) for t in range(10)]
    legs: Box = (0.79, 0.82, 0.95, 0.99)
    assert is_still(legs, history, 1.0, 4 / 3, config)
    crawled: Box = (0.05, 0.68, 0.50, 1.00)  # the whole body, a body length to the left
    assert not is_still(crawled, history, 1.0, 4 / 3, config)


# --- room rules -----------------------------------------------------------------------------------------------


def _feed(rules: RoomRules, start: float, end: float, boxes: Sequence[Box], fps: float = 10.0) -> list[Event]:
    events = []
    for tick in range(round(start * fps), round(end * fps)):
        events += rules.update(tick / fps, [PersonBox(b, 0.7) for b in boxes], [], 4 / 3)
    return events


def _kinds(events: list[Event]) -> list[tuple[str, str]]:
    return [(e.kind, e.state) for e in events]


def test_a_fall_to_the_floor_is_one_on_floor_event_opened_then_ended() -> None:
    rules = RoomRules(ROOM, ZONES, RuleSettings(on_floor_s=2.0, on_floor_clear_s=5.0), wall=_wall)
    entered = _feed(rules, 0, 3, [STANDING])
    assert _kinds(entered) == [("person_entered", "open"), ("person_entered", "ended")]
    down = _feed(rules, 3, 60, [LYING])
    opened = [e for e in down if e.kind == "on_floor"]
    assert [e.state for e in opened] == ["open"]
    assert opened[0].severity == Severity.HIGH and opened[0].zone == "golv" and opened[0].recipient == "Anna"
    assert opened[0].started_at == _wall(3.0)
    assert 0.7 <= opened[0].confidence <= 1.0
    up = _feed(rules, 60, 70, [STANDING])
    ended = [e for e in up if e.kind == "on_floor"]
    assert [e.state for e in ended] == ["ended"] and ended[0].id == opened[0].id
    assert ended[0].ended_at is not None
    assert abs((ended[0].ended_at - _wall(65.0)).total_seconds()) <= 0.11  # 5 s after the last frame down


def test_lying_in_bed_or_bending_briefly_is_not_on_floor() -> None:
    rules = RoomRules(ROOM, ZONES, RuleSettings(), wall=_wall)
    events = _feed(rules, 0, 30, [IN_BED]) + _feed(rules, 30, 31, [LYING]) + _feed(rules, 31, 40, [STANDING])
    assert "on_floor" not in {e.kind for e in events}


def test_bed_exit_then_out_of_bed_too_long_then_back_to_bed() -> None:
    rules = RoomRules(ROOM, ZONES, RuleSettings(bed_exit_s=3.0, out_of_bed_too_long_min=1.0), wall=_wall)
    events = _feed(rules, 0, 10, [IN_BED], fps=2)
    assert "bed_exit" not in {e.kind for e in events}
    events = _feed(rules, 10, 100, [STANDING], fps=2)
    assert _kinds(events) == [("bed_exit", "open"), ("out_of_bed_too_long", "open")]
    exit_event, too_long = events
    assert exit_event.started_at == _wall(9.5) and exit_event.zone == "säng"  # last seen in bed
    assert too_long.severity == Severity.HIGH and too_long.started_at == _wall(9.5)
    back = []
    for step in range(1, 6):  # walks back and lies down
        t = 100 + step
        box = tuple(a + (b - a) * step / 5 for a, b in zip(STANDING, IN_BED, strict=True))
        back += _feed(rules, t, t + 1, [box], fps=2)  # type: ignore[list-item]
    back += _feed(rules, 106, 116, [IN_BED], fps=2)
    assert sorted(_kinds(back)) == [("bed_exit", "ended"), ("out_of_bed_too_long", "ended")]


def test_a_visitor_pauses_the_bed_rules() -> None:
    rules = RoomRules(ROOM, ZONES, RuleSettings(bed_exit_s=3.0, multiple_people_s=2.0), wall=_wall)
    _feed(rules, 0, 10, [IN_BED, STANDING])
    events = _feed(rules, 10, 30, [STANDING, (0.6, 0.2, 0.75, 0.9)])
    kinds = {e.kind for e in events}
    assert "bed_exit" not in kinds
    assert rules.situations.is_open("multiple_people")


def test_leaving_through_the_door_and_coming_back() -> None:
    rules = RoomRules(ROOM, ZONES, RuleSettings(left_room_s=2.0), wall=_wall)
    _feed(rules, 0, 2, [STANDING])
    for step in range(1, 9):  # walks to the door
        x = 0.40 + step * 0.05
        _feed(rules, 2 + step * 0.2, 2.2 + step * 0.2, [(x, 0.2, x + 0.12, 0.85)])
    gone = _feed(rules, 4, 10, [])
    assert _kinds(gone) == [("left_room", "open")] and gone[0].zone == "dörr"
    back = _feed(rules, 10, 12, [STANDING])
    assert ("left_room", "ended") in _kinds(back) and ("person_entered", "open") in _kinds(back)


def test_a_visitor_arriving_does_not_read_as_a_bed_exit_before_multiple_people_opens() -> None:
    rules = RoomRules(ROOM, ZONES, RuleSettings(bed_exit_s=1.0, multiple_people_s=30.0), wall=_wall)
    _feed(rules, 0, 10, [IN_BED])
    events = _feed(rules, 10, 20, [IN_BED, STANDING])
    assert "bed_exit" not in {e.kind for e in events}


def test_a_ghost_track_unseen_while_someone_else_is_seen_goes_away() -> None:
    tracker = PersonTracker(TrackerConfig(confirm_hits=2, stale_s=5.0))
    for tick in range(3):
        tracker.update(tick / 10, [PersonBox(STANDING, 0.8)], [])
    far: Box = (0.05, 0.6, 0.2, 0.95)  # the same person, found far away after a missed stretch
    for tick in range(3, 100):
        step = tracker.update(tick / 10, [PersonBox(far, 0.8)], [])
    assert [t.box for t in step.tracks] == [far] and step.left == ()


def test_a_sleeper_who_gives_no_sign_for_hours_is_still_in_bed() -> None:
    rules = RoomRules(ROOM, ZONES, RuleSettings(), wall=_wall)
    events = _feed(rules, 0, 10, [IN_BED], fps=2)
    for tick in range(10, 4 * 3600, 5):  # four hours: no detection found them, nothing moved
        events += rules.update(float(tick), [] if tick % 60 == 0 else None, [], 4 / 3)
    assert [e.kind for e in events if e.state == "open"] == ["person_entered"]
    assert len(rules.tracks) == 1


# --- posture from keypoints and a person who is no longer seen ------------------------------------------------


def _pose(shoulder: tuple[float, float], hip: tuple[float, float], score: float = 0.5) -> tuple[Keypoint, ...]:
    """17 keypoints with only shoulders and hips seen (the others at score 0)."""
    points = [Keypoint(0.0, 0.0, 0.0)] * 17
    for index in SHOULDERS:
        points[index] = Keypoint(shoulder[0], shoulder[1], score)
    for index in HIPS:
        points[index] = Keypoint(hip[0], hip[1], score)
    return tuple(points)


def test_a_torso_across_the_view_reads_as_lying_even_in_a_narrow_box() -> None:
    """Foreshortened or partly hidden, a lying person's box may be taller than wide; the torso still tells."""
    config = PostureConfig()
    narrow: Box = (0.40, 0.60, 0.55, 0.90)  # w/h in pixels 0.67 at 4:3: the box alone says upright
    assert not is_lying(narrow, (), 4 / 3, config)
    assert is_lying(narrow, _pose((0.41, 0.75), (0.54, 0.77)), 4 / 3, config)  # torso ~80° from vertical
    assert not is_lying(narrow, _pose((0.47, 0.62), (0.48, 0.80)), 4 / 3, config)  # upright torso
    assert not is_lying(narrow, _pose((0.41, 0.75), (0.54, 0.77), score=0.05), 4 / 3, config)  # unsure keypoints


def test_a_tracked_person_who_vanishes_away_from_exits_raises_person_not_visible() -> None:
    rules = RoomRules(ROOM, ZONES, RuleSettings(not_visible_s=20.0), wall=_wall)
    behind_bed: Box = (0.50, 0.30, 0.65, 0.80)  # standing beside the bed, away from the door and the edges
    _feed(rules, 0, 3, [behind_bed])
    events: list[Event] = []
    for tick in range(30, 300):  # 27 s without any detection (perception looks and finds nobody)
        events += rules.update(tick / 10, [], [], 4 / 3)
    opened = [e for e in events if e.kind == "person_not_visible"]
    assert [e.state for e in opened] == ["open"] and opened[0].severity == Severity.MEDIUM
    assert opened[0].started_at == _wall(2.9)  # from when the person was last seen
    back = _feed(rules, 30, 31, [behind_bed])
    assert [(e.kind, e.state) for e in back if e.kind == "person_not_visible"] == [("person_not_visible", "ended")]


def test_a_person_gone_at_the_door_left_and_one_asleep_in_bed_is_not_missing() -> None:
    rules = RoomRules(ROOM, ZONES, RuleSettings(not_visible_s=20.0, left_room_s=5.0), wall=_wall)
    _feed(rules, 0, 3, [(0.82, 0.2, 0.92, 0.85)])  # at the door
    events = [e for tick in range(30, 300) for e in rules.update(tick / 10, [], [], 4 / 3)]
    assert "person_not_visible" not in {e.kind for e in events} and "left_room" in {e.kind for e in events}
    asleep = RoomRules(ROOM, ZONES, RuleSettings(not_visible_s=20.0), wall=_wall)
    _feed(asleep, 0, 5, [IN_BED])
    events = [e for tick in range(50, 400) for e in asleep.update(tick / 10, [], [], 4 / 3)]
    assert "person_not_visible" not in {e.kind for e in events}
