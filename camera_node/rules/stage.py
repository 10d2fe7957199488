"""The pipeline's detection stage: gate → person detector (private frames only) → tracker and care rules.

The detector runs only when something moved or a tracked person is due a re-check, at most
`detector_max_rate` times a second. A model that cannot be loaded (missing, corrupt, unexpected inputs)
or that keeps failing does not stop the node: the stage raises one `detector_fault` event and keeps
running the rules on motion alone (existing tracks follow motion; no new person can be confirmed).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from camera_node.detector import PERSON, DetectionGate, Detector, DetectorError, create_detector
from camera_node.motion import MotionResult
from camera_node.motion_events import RoomIdentity
from camera_node.rules.geometry import Box
from camera_node.rules.room import RoomRules
from camera_node.rules.situations import WallClock
from camera_node.rules.tracker import PersonBox
from camera_node.rules.zones import RoomZones
from camera_node.timing import StageTimings
from nattvakt.events import Event, Severity
from nattvakt.settings import NodeSettings
from privacy.frames import PrivateFrame

log = logging.getLogger(__name__)

FAILURES_BEFORE_FAULT = 3
"""Inference failures in a row before `detector_fault` opens (one bad frame is not a fault)."""


class DetectionStage:
    """Called by `FrameProcessor` once per private frame, from the pipeline thread."""

    def __init__(
        self,
        rules: RoomRules,
        detector: Detector | None,
        gate: DetectionGate,
        *,
        recheck_s: float,
        load_error: str | None = None,
        timings: StageTimings | None = None,
    ) -> None:
        self.rules = rules
        self.timings = timings
        """Where each detector run's own time goes (stage `detector`: the frames it ran on only, unlike `detect`)."""
        self.detector = detector
        self.gate = gate
        self.recheck_s = recheck_s
        self.runs = 0
        """Detector runs so far (for benchmarks and health)."""
        self._load_error = load_error
        self._failures = 0

    @property
    def degraded(self) -> bool:
        return self.detector is None or self.rules.situations.is_open("detector_fault")

    def __call__(self, private: PrivateFrame, motion: MotionResult, now: float) -> list[Event]:
        events: list[Event | None] = []
        if self._load_error is not None:
            events.append(self._fault(now, "model_unavailable", self._load_error))
            self._load_error = None
        detections = self._detect(private, motion, now, events)
        height, width = private.shape
        regions: Sequence[Box] = [(x / width, y / height, (x + w) / width, (y + h) / height)
                                  for x, y, w, h in motion.regions]
        events += self.rules.update(now, detections, regions, width / height)
        return [event for event in events if event is not None]

    def _detect(
        self, private: PrivateFrame, motion: MotionResult, now: float, events: list[Event | None]
    ) -> list[PersonBox] | None:
        if self.detector is None:
            return None
        recheck = any(now - track.last_detected >= self.recheck_s for track in self.rules.tracks)
        if not self.gate.due(now, motion=motion.moving, recheck=recheck):
            return None
        try:
            result = self.detector.detect(private)
        except DetectorError as exc:
            self._failures += 1
            log.warning("detection failed (%d in a row): %s", self._failures, exc)
            if self._failures >= FAILURES_BEFORE_FAULT:
                events.append(self._fault(now, "inference_failing", str(exc)))
            return None
        self.runs += 1
        if self.timings is not None:
            self.timings.record("detector", result.inference_ms)
        if self._failures >= FAILURES_BEFORE_FAULT:
            events.append(self.rules.situations.end("detector_fault", now))
        self._failures = 0
        height, width = private.shape
        boxes = [PersonBox((d.x1 / width, d.y1 / height, d.x2 / width, d.y2 / height), d.score)
                 for d in result.of_class(PERSON)]
        return boxes

    def _fault(self, now: float, reason: str, message: str) -> Event | None:
        return self.rules.situations.open(
            "detector_fault", now, Severity.MEDIUM, 1.0, None,
            {"reason": reason, "message": message[:300], "fallback": "motion-only rules"},
        )


def build_detection_stage(
    node: NodeSettings, identity: RoomIdentity, *, wall: WallClock | None = None, timings: StageTimings | None = None
) -> DetectionStage:
    """The stage the node's settings describe; a model that will not load gives a degraded stage, not an error."""
    rules = RoomRules(
        identity, RoomZones.from_settings(node.zones), node.rules, start_score=node.detector_score_threshold,
        wall=wall,
    )
    detector: Detector | None = None
    load_error: str | None = None
    if node.detector_enabled:
        try:
            # Weak boxes keep existing tracks alive; a new track still needs detector_score_threshold.
            detector = create_detector(node, score_threshold=min(node.detector_score_threshold, node.rules.track_score))
        except DetectorError as exc:
            log.error("%s: person detection unavailable, running on motion-only rules: %s", identity.node, exc)
            load_error = str(exc)
    return DetectionStage(rules, detector, DetectionGate(node.detector_max_rate), recheck_s=node.rules.recheck_s,
                          load_error=load_error, timings=timings)
