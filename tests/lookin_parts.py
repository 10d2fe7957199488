"""Real parts for look-in tests: a camera pipeline on real footage, signed consent copies, and an aiortc peer that
plays the browser (receive-only video, optionally offering audio too, which the node must not send)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import redis
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from benchmarks.footage import VTEST, gmdcsa24_dir
from camera_node.capture import CaptureThread, open_source
from camera_node.faults import CameraFaultMonitor
from camera_node.motion import MotionDetector
from camera_node.motion_events import MotionEventRule
from camera_node.pipeline import FramePipeline, FrameProcessor
from nattvakt.consent_transport import STORE_IF_NEWER, copy_key, notify_channel
from nattvakt.events import Event, Origin
from privacy.consent_model import Consent, ConsentScope, Grantor, GrantorRole, Pause
from privacy.filters import PrivacyFilter

MASTER = b"test-master-key-0123456789abcdef"


def face_clip() -> Path:
    """A bedroom clip with a visible face (GMDCSA24) when present, else Debian's vtest.avi."""
    root = gmdcsa24_dir()
    if root is not None and (root / "Subject_1-Fall-14.mp4").is_file():
        return root / "Subject_1-Fall-14.mp4"
    if VTEST.is_file():
        return VTEST
    pytest.skip("no real footage here (GMDCSA24 or Debian opencv-doc vtest.avi)")


def consent(version: int = 1, *, kinds: frozenset[str] = frozenset({"on_floor"}), level: str = "pixelate",
            max_s: int = 30, paused: bool = False, withdrawn: bool = False, **scope: Any) -> Consent:
    start = datetime.now(UTC) - timedelta(days=1)
    now = datetime.now(UTC)
    pauses = (Pause(start=now - timedelta(seconds=1), end=now + timedelta(hours=8), set_by="Greta"),) if paused else ()
    return Consent(
        given_by=(Grantor(role=GrantorRole.RECIPIENT, name="Greta"),), given_at=start, valid_from=start,
        scope=ConsentScope.model_validate({"event_kinds": kinds, "privacy_level": level, "max_lookin_s": max_s,
                                           **scope}),
        pauses=pauses, recipient_id=1, version=version, recorded_at=start, recorded_by="sara",
        withdrawn_at=now if withdrawn else None,
    )


def publish_copy(url: str, node_id: str, raw: str, version: int) -> None:
    client = redis.Redis.from_url(url, decode_responses=True)
    client.register_script(STORE_IF_NEWER)(keys=[copy_key(node_id), notify_channel(node_id)], args=[version, raw])
    client.close()


@contextmanager
def camera(node_id: str, source: str, fps: float = 10.0) -> Iterator[FramePipeline]:
    """Capture thread + pipeline thread on a real source, as the node runs them."""
    room = Origin(node_id, "rum-7", "")
    capture = CaptureThread(open_source(source, width=640, height=480, fps=fps, loop=True))
    processor = FrameProcessor(PrivacyFilter(), MotionDetector(), MotionEventRule(room, 3.0),
                               CameraFaultMonitor(room, 30.0), room)
    events: list[Event] = []
    pipeline = FramePipeline(capture, processor, emit=events.append, fps=fps)
    capture.start()
    pipeline.start()
    try:
        yield pipeline
    finally:
        pipeline.stop()
        capture.stop()


class Viewer:
    """The browser's part, in aiortc: a receive-only offer, then decoded frames with their arrival times."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.frames: list[np.ndarray] = []
        self.arrivals: list[float] = []
        self.first_frame = asyncio.Event()
        self.ended = asyncio.Event()
        self.kinds: list[str] = []
        self._reader: asyncio.Task[None] | None = None
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self.kinds.append(track.kind)
        if track.kind == "video":
            self._reader = asyncio.ensure_future(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.VideoFrame)
                self.arrivals.append(time.monotonic())
                if len(self.frames) < 60:
                    self.frames.append(frame.to_ndarray(format="bgr24"))
                self.first_frame.set()
        except MediaStreamError:
            self.ended.set()

    async def offer(self, *, audio: bool = False) -> str:
        self.pc.addTransceiver("video", direction="recvonly")
        if audio:
            self.pc.addTransceiver("audio", direction="recvonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    async def close(self) -> None:
        await self.pc.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
