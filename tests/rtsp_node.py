"""A camera node's capture and frame pipeline on a real RTSP camera, with what it emitted: for the fault tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from camera_node.capture import CaptureThread, open_source
from camera_node.faults import CameraFaultMonitor
from camera_node.motion import MotionDetector
from camera_node.motion_events import MotionEventRule
from camera_node.network_source import NetworkOptions
from camera_node.pipeline import FramePipeline, FrameProcessor
from nattvakt.events import Event, Origin
from nattvakt.settings import NodeSettings
from privacy import PrivacyFilter

ROOM = Origin("node-rtsp", "rum-rtsp", "")


class RtspNode:
    """The node's own capture thread and pipeline thread, built from `NodeSettings` as `run_node` builds them."""

    def __init__(self, cfg: NodeSettings) -> None:
        self.cfg = cfg
        source = open_source(cfg.source, width=cfg.width, height=cfg.height, fps=cfg.fps, loop=cfg.loop,
                             network=NetworkOptions.from_settings(cfg))
        self.capture = CaptureThread.for_node(source, cfg)
        processor = FrameProcessor(PrivacyFilter(), MotionDetector(), MotionEventRule(ROOM, 1.0),
                                   CameraFaultMonitor(ROOM, cfg.camera_fault_after_s), ROOM)
        self.pipeline = FramePipeline(self.capture, processor, emit=self._collect)
        self.events: list[tuple[float, Event]] = []
        self._lock = threading.Lock()

    def _collect(self, event: Event) -> None:
        with self._lock:
            self.events.append((time.monotonic(), event))

    @contextmanager
    def running(self) -> Iterator[RtspNode]:
        self.capture.start()
        self.pipeline.start()
        try:
            yield self
        finally:
            self.capture.stop()
            self.pipeline.stop()

    def faults(self) -> list[tuple[float, Event]]:
        with self._lock:
            return [(at, event) for at, event in self.events if event.kind == "camera_fault"]

    def settle(self) -> None:
        """Until frames flow, then forget what happened meanwhile (opening a stream can outlast a short fault time)."""
        self.wait_frames(10)
        with self._lock:
            self.events.clear()

    def wait_frames(self, count: int, timeout: float = 15.0) -> None:
        """Until the pipeline has processed `count` more frames."""
        target = self.pipeline.processed + count
        deadline = time.monotonic() + timeout
        while self.pipeline.processed < target:
            assert time.monotonic() < deadline, f"only {self.pipeline.processed} of {target} frames in {timeout} s"
            time.sleep(0.02)

    def wait_fault(self, state: str, timeout: float) -> tuple[float, Event]:
        """The first `camera_fault` event in `state` (open or ended), waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            found = [(at, event) for at, event in self.faults() if event.state == state]
            if found:
                return found[0]
            assert time.monotonic() < deadline, f"no camera_fault {state} within {timeout} s: {self.faults()}"
            time.sleep(0.02)

    def wait_problem(self, cause: str, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while self.capture.problem != cause:
            assert time.monotonic() < deadline, f"capture problem is {self.capture.problem!r}, not {cause!r}"
            time.sleep(0.02)
        return time.monotonic()
