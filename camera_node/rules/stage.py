"""The pipeline's perception stage: gate → perception (inside `privacy`, on the raw frame) → tracker and care rules.

The privacy filter runs the pose model (and, every few runs, the box detector) on the raw frame when this stage's
gate asks for it (`perception_due`, decided before the frame is filtered) and hands on only boxes and keypoints
with the private frame. Perception that cannot start (a missing or corrupt model) or keeps failing does not stop
the node: the stage raises one `detector_fault` event and keeps running the rules on motion alone (existing tracks
stay; no new person can be confirmed).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from camera_node.motion import MotionResult
from camera_node.perception_gate import GateInput, PerceptionGate
from camera_node.rules.room import RoomRules
from camera_node.rules.situations import WallClock
from camera_node.rules.tracker import PersonBox
from camera_node.rules.zones import RoomZones
from camera_node.timing import StageTimings
from nattvakt.events import Event, Origin, Severity
from nattvakt.geometry import Box
from nattvakt.settings import NodeSettings
from privacy.errors import PrivacyError
from privacy.filters import PrivacyFilter
from privacy.frames import PrivateFrame
from privacy.observations import PersonObservation
from privacy.perception import Perceiver, box_detector
from privacy.pose import PoseModel

log = logging.getLogger(__name__)

FAILURES_BEFORE_FAULT = 3
"""Perception failures in a row before `detector_fault` opens (one bad frame is not a fault)."""
CHANGE_LEVEL = 2.0
"""Mean grey-level change of the motion stage's small picture since the last look that counts as 'changed'."""


class DetectionStage:
    """Called by `FrameProcessor` once per private frame, from the pipeline thread."""

    def __init__(
        self,
        rules: RoomRules,
        gate: PerceptionGate,
        *,
        recheck_s: float,
        available: bool = True,
        load_error: str | None = None,
        timings: StageTimings | None = None,
    ) -> None:
        self.rules = rules
        self.timings = timings
        """Where each perception run's own time goes (stage `perception`: the frames it ran on only)."""
        self.gate = gate
        self.recheck_s = recheck_s
        self.available = available
        """False when perception could not start: the stage never asks for it."""
        self.runs = 0
        """Perception runs so far (for benchmarks and health)."""
        self._load_error = load_error
        self._failures = 0
        self._grey_at_look: npt.NDArray[np.uint8] | None = None

    @property
    def degraded(self) -> bool:
        return not self.available or self.rules.situations.is_open("detector_fault")

    def perception_due(self, now: float, motion: MotionResult, grey: npt.NDArray[np.uint8] | None) -> bool:
        """Whether the next frame should be perceived: asked before the privacy filter runs on it."""
        if not self.available:
            return False
        tracks = self.rules.tracker.all_tracks
        state = GateInput(
            motion=motion.moving,
            recheck=any(now - track.last_detected >= self.recheck_s or not track.confirmed for track in tracks),
            tracking=bool(tracks),
            # Only idle scans (nobody tracked) ask whether the picture changed: no per-frame diff otherwise.
            changed=not tracks and _changed(grey, self._grey_at_look),
        )
        due = self.gate.due(now, state)
        if due:
            self._grey_at_look = grey
        return due

    def __call__(self, private: PrivateFrame, motion: MotionResult, now: float) -> list[Event]:
        events: list[Event | None] = []
        if self._load_error is not None:
            events.append(self._fault(now, "model_unavailable", self._load_error))
            self._load_error = None
        detections = self._detections(private, now, events)
        height, width = private.shape
        regions: Sequence[Box] = [(x / width, y / height, (x + w) / width, (y + h) / height)
                                  for x, y, w, h in motion.regions]
        events += self.rules.update(now, detections, regions, width / height)
        return [event for event in events if event is not None]

    def tracked(self) -> tuple[PersonObservation, ...]:
        """Every person followed now, as last seen (an outgoing frame hides each one's head)."""
        return tuple(PersonObservation(t.box, t.score, t.keypoints) for t in self.rules.tracker.all_tracks)

    def _detections(self, private: PrivateFrame, now: float, events: list[Event | None]) -> list[PersonBox] | None:
        if private.perception_error is not None:
            self._failures += 1
            log.warning("perception failed (%d in a row): %s", self._failures, private.perception_error)
            if self._failures >= FAILURES_BEFORE_FAULT:
                events.append(self._fault(now, "inference_failing", private.perception_error))
            return None
        perception = private.perception
        if perception is None:
            return None
        self.runs += 1
        if self.timings is not None:
            self.timings.record("perception", perception.inference_ms)
        if self._failures >= FAILURES_BEFORE_FAULT:
            events.append(self.rules.situations.end("detector_fault", now))
        self._failures = 0
        return list(perception.people)

    def _fault(self, now: float, reason: str, message: str) -> Event | None:
        return self.rules.situations.open(
            "detector_fault", now, Severity.MEDIUM, 1.0, None,
            {"reason": reason, "message": message[:300], "fallback": "motion-only rules"},
        )


def _changed(grey: npt.NDArray[np.uint8] | None, before: npt.NDArray[np.uint8] | None) -> bool:
    if grey is None or before is None or grey.shape != before.shape:
        return True
    return float(np.mean(np.abs(grey.astype(np.int16) - before.astype(np.int16)))) > CHANGE_LEVEL


def build_detection_stage(
    node: NodeSettings, identity: Origin, *, wall: WallClock | None = None, timings: StageTimings | None = None,
    load_error: str | None = None,
) -> DetectionStage:
    """The stage the node's settings describe. `load_error`: why the privacy filter could not load perception's
    models (the stage then never asks for perception and raises `detector_fault` once)."""
    rules = RoomRules(identity, RoomZones.from_settings(node.zones), node.rules, wall=wall)
    available = node.perception_enabled and load_error is None
    if node.perception_enabled and load_error is not None:
        log.error("%s: perception unavailable, running on motion-only rules: %s", identity.node, load_error)
    return DetectionStage(
        rules, PerceptionGate(node.perception_max_rate, node.perception_idle_scan_s), recheck_s=node.rules.recheck_s,
        available=available, load_error=load_error if node.perception_enabled else None, timings=timings,
    )


def build_privacy_filter(node: NodeSettings) -> tuple[PrivacyFilter, str | None]:
    """The node's privacy filter with perception as its settings ask; when perception's models will not load, a
    filter without it (faces still hidden) and the reason, for `build_detection_stage(load_error=...)`."""
    if not node.perception_enabled:
        return PrivacyFilter(perception=False), None
    try:
        boxes = box_detector(node.perception_threads) if node.perception_box_every else None
        perceiver = Perceiver(PoseModel(threads=node.perception_threads), boxes,
                              box_every=max(1, node.perception_box_every))
    except PrivacyError as exc:
        return PrivacyFilter(perception=False), str(exc)
    return PrivacyFilter(perceiver=perceiver), None
