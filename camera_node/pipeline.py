"""The per-frame pipeline thread: raw frame → private frame (+ perception) → motion → events (→ care rules).

It takes the camera's frames at the node's rate (`camera_node.frame_pacer`), and while a look-in is open makes the
outgoing frame of each frame it takes.

Every stage is timed with `time.perf_counter` (monotonic; the wait for a frame is not a
stage) into `StageTimings`, which the node's health endpoint reports as p50/p99.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

import numpy as np
import numpy.typing as npt

from camera_node.capture import CaptureThread
from camera_node.faults import CameraFaultMonitor
from camera_node.frame_pacer import FramePacer
from camera_node.lookin_tap import OutgoingTap
from camera_node.motion import MotionDetector, MotionResult
from camera_node.motion_events import MotionEventRule, light_change_events
from camera_node.timing import StageTimings
from nattvakt.events import Event, Origin
from privacy.filters import PrivacyFilter
from privacy.frames import PrivateFrame, RawFrame
from privacy.observations import PersonObservation

log = logging.getLogger(__name__)

_NO_FRAME = MotionResult(0.0, False)

class DetectStage(Protocol):
    """The stage after motion (perception's observations → care rules)."""

    def perception_due(self, now: float, motion: MotionResult, grey: npt.NDArray[np.uint8] | None) -> bool:
        """Asked before the privacy filter runs: should it perceive people in the next raw frame?"""
        ...

    def __call__(self, private: PrivateFrame, motion: MotionResult, now: float) -> Iterable[Event]:
        """Private frame (with what perception saw, if it ran), its motion, monotonic time → events."""
        ...

    def tracked(self) -> tuple[PersonObservation, ...]:
        """Every person followed now, as last seen (box and keypoints)."""
        ...


def perception_ms(private: PrivateFrame) -> float:
    """Perception's share of the privacy filter's time (it is timed as its own stage, `perception`)."""
    return private.perception.inference_ms if private.perception is not None else 0.0


class FrameProcessor:
    """One turn of the pipeline, without threads: the benchmark and tests drive it directly."""

    def __init__(
        self,
        privacy: PrivacyFilter,
        motion: MotionDetector,
        rule: MotionEventRule,
        faults: CameraFaultMonitor,
        identity: Origin,
        *,
        timings: StageTimings | None = None,
        detect: DetectStage | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.privacy = privacy
        self.motion = motion
        self.rule = rule
        self.faults = faults
        self.identity = identity
        self.timings = timings or StageTimings()
        self.detect = detect
        self.clock = clock
        """Stage clock: monotonic wall time; the benchmark may pass `time.thread_time` on a loaded machine."""
        self.last_motion = _NO_FRAME

    def tracked(self) -> tuple[PersonObservation, ...]:
        """The people the care rules follow (as of the last frame): an outgoing frame hides each one's head."""
        return self.detect.tracked() if self.detect is not None else ()

    def make_private(self, raw: RawFrame, now: float) -> PrivateFrame:
        """The privacy filter on one raw frame, perceiving people in it when the care rules' gate asks."""
        perceive = self.detect is not None and self.detect.perception_due(now, self.last_motion, self.motion.last_grey)
        return self.privacy.make_private(raw, motion_hint=self.last_motion.moving, perceive=perceive)

    def no_frame(self, now: float, cause: str | None = None) -> list[Event]:
        """A turn in which capture had nothing (`cause`: capture's word for why): events may still end, and a lost
        camera is a fault."""
        events = [self.rule.update(_NO_FRAME, now), self.faults.update(None, 0, now, cause)]
        return [event for event in events if event is not None]

    def process(self, private: PrivateFrame, now: float, privacy_ms: float) -> list[Event]:
        """Everything after the privacy filter; returns events to publish."""
        timings = self.timings
        start = self.clock()
        result = self.motion.update(private)
        after_motion = self.clock()
        events: list[Event | None] = [self.faults.update(self.motion.last_grey, private.source_crc, now)]
        if result.light_change:
            events += light_change_events(self.identity, result.details)
        # A broken picture is reported as a fault; it must not also look like motion.
        events.append(self.rule.update(_NO_FRAME if self.faults.active else result, now))
        self.last_motion = result
        after_events = self.clock()
        timings.record("privacy", privacy_ms)
        timings.record("motion", (after_motion - start) * 1000)
        timings.record("events", (after_events - after_motion) * 1000)
        if self.detect is not None:
            events += self.detect(private, result, now)
            timings.record("detect", (self.clock() - after_events) * 1000)
        timings.record("total", privacy_ms + (self.clock() - start) * 1000)
        timings.count("frames")
        return [event for event in events if event is not None]


class FramePipeline:
    """Runs in its own thread because every stage is CPU work; hands events to `emit`."""

    def __init__(self, capture: CaptureThread, processor: FrameProcessor, emit: Callable[[Event], None], *,
                 fps: float | None = None) -> None:
        self._capture = capture
        self.processor = processor
        self._emit = emit
        self._pacer = FramePacer(fps) if fps is not None else None
        """The node's rate (`node.fps`); None takes every frame the camera gives (tests that drive a paced source)."""
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frame pipeline", daemon=True)
        self.processed = 0
        self.outgoing: OutgoingTap | None = None
        """Set by the look-in service; outgoing frames can only be made here, where the raw frame exists."""

    @property
    def timings(self) -> StageTimings:
        return self.processor.timings

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopping.is_set():
            raw = self._capture.latest(timeout=0.5)
            now = time.monotonic()
            if raw is None:
                events = self.processor.no_frame(now, self._capture.problem)
            elif self._pacer is not None and not self._pacer.take(raw.captured_at):
                self.processor.timings.count("paced")  # a camera faster than the node: this frame is not needed
                del raw
                continue
            else:
                start = self.processor.clock()
                try:
                    private = self.processor.make_private(raw, now)
                except Exception:  # boundary: one bad frame must not stop the night's watch
                    log.exception("%s: privacy filter failed on frame %d; skipped", self.processor.identity.node,
                                  raw.index)
                    self.processor.timings.count("filter_errors")
                    continue
                else:
                    privacy_ms = (self.processor.clock() - start) * 1000 - perception_ms(private)
                    if self.outgoing is not None and self.outgoing.active:  # a look-in: outgoing frames too
                        began = self.processor.clock()
                        self.outgoing.feed(self.processor.privacy, raw, self.processor.tracked())
                        self.processor.timings.record("outgoing", (self.processor.clock() - began) * 1000)
                finally:
                    del raw  # nothing past this line may hold raw pixels
                events = self.processor.process(private, now, privacy_ms)
                self.processed += 1
            for event in events:
                self._emit(event)
