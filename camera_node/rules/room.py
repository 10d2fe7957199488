"""The care rules of one room: person boxes and motion in, care events out.

Per processed frame: the tracker carries people through frames without a detection; each person is observed
(lying? on the floor outside the bed? still?); hysteresis machines decide when a situation opens and ends:

- `person_entered` (INFO, a moment): a person is confirmed in a room that had none;
- `left_room` (MEDIUM): the last person was last seen at an exit and stayed gone; ends when someone is back;
- `bed_exit` (MEDIUM): the person was in the bed zone and has been out of it `bed_exit_s`; ends back in bed;
- `out_of_bed_too_long` (HIGH): a bed exit lasting `out_of_bed_too_long_min`; ends back in bed;
- `on_floor` (HIGH): someone lying, nearly still, on the floor outside the bed for `on_floor_s`;
- `multiple_people` (INFO): two or more people (a visitor, staff) — bed rules pause while it is open;
- `person_not_visible` (MEDIUM): a tracked person has not been perceived for `not_visible_s`, and was last seen
  away from any exit and out of bed (behind the bed, under a blanket on the floor); ends when seen again. Not
  while `on_floor` is open: that already says the person is down and needs a visit.
"""

from __future__ import annotations

from collections.abc import Sequence

from camera_node.rules.hysteresis import Hysteresis, HysteresisConfig
from camera_node.rules.posture import Observation, PostureConfig, observe
from camera_node.rules.situations import Situations, WallClock, monotonic_wall_clock
from camera_node.rules.tracker import PersonBox, PersonTracker, Track, TrackerConfig
from camera_node.rules.zones import RoomZones
from nattvakt.events import Event, Origin, Severity
from nattvakt.geometry import Box, share_inside
from nattvakt.settings import RuleSettings

IN_BED_S = 2.0
"""Seconds in the bed zone before the person counts as in bed (a bed exit needs that first)."""
MULTIPLE_CLEAR_S = 5.0
"""Seconds with at most one person before `multiple_people` ends."""


class RoomRules:
    """All rules of one room; `update` once per processed frame, from the pipeline thread."""

    def __init__(
        self,
        identity: Origin,
        zones: RoomZones,
        rules: RuleSettings,
        *,
        wall: WallClock | None = None,
    ) -> None:
        self.zones = zones
        self.rules = rules
        self.tracker = PersonTracker(
            TrackerConfig(start_score=max(rules.start_score, rules.track_score), keep_score=rules.track_score,
                          exit_gone_s=rules.left_room_s, weak_hits=rules.weak_start_hits,
                          weak_span_s=rules.weak_start_s),
            exits=tuple(z.polygon for z in zones.of_kind("door")),
        )
        self.posture = PostureConfig(lying_aspect=rules.lying_aspect)
        self.situations = Situations(identity, wall or monotonic_wall_clock())
        self._on_floor = Hysteresis(HysteresisConfig(rules.on_floor_s, rules.on_floor_clear_s))
        self._in_bed = Hysteresis(HysteresisConfig(IN_BED_S, rules.bed_exit_s))
        self._multiple = Hysteresis(HysteresisConfig(rules.multiple_people_s, MULTIPLE_CLEAR_S))
        self._floor_zone: str | None = None
        self._bed_zone: str | None = None
        self._bed_exit_at: float | None = None
        self.observations: dict[int, Observation] = {}
        """This frame's observation per confirmed track id (for benchmarks and the health line)."""
        self._next_zones: RoomZones | None = None

    def use_zones(self, zones: RoomZones) -> None:
        """New zones from any thread (central sent them); the pipeline thread takes them at its next frame."""
        self._next_zones = zones

    def _take_zones(self) -> None:
        zones, self._next_zones = self._next_zones, None
        if zones is not None:
            self.zones = zones
            self.tracker.exits = tuple(z.polygon for z in zones.of_kind("door"))

    @property
    def tracks(self) -> tuple[Track, ...]:
        return self.tracker.tracks

    def update(
        self, now: float, detections: Sequence[PersonBox] | None, motion: Sequence[Box], view_aspect: float
    ) -> list[Event]:
        """One frame: `detections` None when the detector did not run; boxes in fractions of the view."""
        self._take_zones()
        had_people = bool(self.tracker.tracks)
        step = self.tracker.update(now, detections, motion)
        events: list[Event | None] = []
        if step.confirmed and not had_people:
            first = step.confirmed[0]
            events.append(self.situations.end("left_room", now))
            events += self.situations.moment("person_entered", now, Severity.INFO, first.score, None,
                                             {"track": first.id})
        if step.left and not step.tracks:
            events.append(self.situations.open("left_room", now, Severity.MEDIUM, 0.8, self._exit_name(step.left[0])))
        self.observations = {
            t.id: observe(t.box, t.keypoints, t.history, now, view_aspect, self.zones, self.posture)
            for t in step.tracks
        }
        events += self._multiple_people(now, len(step.tracks))
        events += self._floor(now)
        events += self._not_visible(now, step.tracks)
        if not self.situations.is_open("multiple_people"):  # a visitor or staff: bed rules pause
            events += self._bed(now, step.tracks)
        return [event for event in events if event is not None]

    def _multiple_people(self, now: float, count: int) -> list[Event | None]:
        change = self._multiple.update(now, count >= 2)
        if change == "open":
            return [self.situations.open("multiple_people", self._multiple.opened_at or now, Severity.INFO,
                                         self._multiple.ratio, None, {"people": count})]
        if change == "end":
            return [self.situations.end("multiple_people", now)]
        return []

    def _floor(self, now: float) -> list[Event | None]:
        down = [o for o in self.observations.values() if o.down]
        if down:
            self._floor_zone = down[0].floor_zone
        change = self._on_floor.update(now, bool(down))
        if change == "open":
            return [self.situations.open("on_floor", self._on_floor.opened_at or now, Severity.HIGH,
                                         self._on_floor.ratio, self._floor_zone)]
        if change == "end":
            return [self.situations.end("on_floor", now)]
        if self._on_floor.active:
            return [self.situations.update("on_floor", self._on_floor.ratio)]
        return []

    def _not_visible(self, now: float, tracks: tuple[Track, ...]) -> list[Event | None]:
        unseen = [
            t for t in tracks
            if now - t.last_detected >= self.rules.not_visible_s
            and self.observations[t.id].bed_zone is None
            and not self.tracker.at_exit(t.seen_box or t.box)
        ]
        if unseen and not self._on_floor.active:
            track = unseen[0]
            return [self.situations.open(
                "person_not_visible", track.last_detected, Severity.MEDIUM, 0.6, self.observations[track.id].floor_zone,
                {"unseen_s": round(now - track.last_detected)},
            )]
        if self.situations.is_open("person_not_visible") and (not unseen or self._on_floor.active):
            return [self.situations.end("person_not_visible", now)]
        return []

    def _bed(self, now: float, tracks: tuple[Track, ...]) -> list[Event | None]:
        if not self.zones.has_bed or len(tracks) > 1:
            return []  # with two people seen, whose bed is it? Wait (multiple_people opens if it lasts).
        beds = [o.bed_zone for o in self.observations.values() if o.bed_zone is not None]
        if beds:
            self._bed_zone = beds[0]
        change = self._in_bed.update(now, bool(beds))
        events: list[Event | None] = []
        if change == "end":  # was in bed, out of it for bed_exit_s: the exit began when last seen in bed
            self._bed_exit_at = self._in_bed.last_true if self._in_bed.last_true is not None else now
            events.append(self.situations.open("bed_exit", self._bed_exit_at, Severity.MEDIUM, 0.8, self._bed_zone))
        elif change == "open":
            self._bed_exit_at = None
            events.append(self.situations.end("out_of_bed_too_long", now))
            events.append(self.situations.end("bed_exit", now))
        if self._bed_exit_at is not None and now - self._bed_exit_at >= self.rules.out_of_bed_too_long_min * 60:
            events.append(self.situations.open("out_of_bed_too_long", self._bed_exit_at, Severity.HIGH, 0.8,
                                               self._bed_zone, {"minutes": self.rules.out_of_bed_too_long_min}))
        return events

    def _exit_name(self, track: Track) -> str | None:
        box = track.seen_box or track.box
        return next((z.name for z in self.zones.of_kind("door") if share_inside(z.polygon, box) > 0), None)
