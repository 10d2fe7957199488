"""The one video track of a look-in: outgoing frames only, paced at the node's rate, timestamped by us.

aiortc's `VideoStreamTrack.next_timestamp` assumes 30 fps and sleeps to match; our frames arrive at the pipeline's
rate, so each frame gets a 90 kHz timestamp from its capture time and `recv` never sends faster than `fps`.
Conversion to an `av.VideoFrame` happens in the pipeline thread (the sink), not on the event loop.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from privacy.frames import OutgoingFrame

CLOCK_RATE = 90_000
TIME_BASE = fractions.Fraction(1, CLOCK_RATE)


def to_video_frame(frame: OutgoingFrame) -> av.VideoFrame:
    """The only way pixels enter a look-in: from a sealed `OutgoingFrame`."""
    if not isinstance(frame, OutgoingFrame):  # a type error too, but this is the privacy boundary: check at run time
        raise TypeError(f"a look-in sends only OutgoingFrame, got {type(frame).__name__}")
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(frame.pixels), format="bgr24")


class OutgoingTrack(MediaStreamTrack):
    """Latest frame wins; `gate()` is asked before every frame and a False ends the track."""

    kind = "video"

    def __init__(self, loop: asyncio.AbstractEventLoop, fps: float, gate: Callable[[], bool],
                 on_sent: Callable[[int], None]) -> None:
        super().__init__()
        self._owner_loop = loop
        self._period = 1.0 / fps
        self._gate = gate
        self._on_sent = on_sent
        self._slot: asyncio.Queue[tuple[av.VideoFrame, float]] = asyncio.Queue(maxsize=1)
        self._first_capture: float | None = None
        self._last_pts = -1
        self._next_due = 0.0
        self.sent = 0

    def sink(self, frame: OutgoingFrame) -> None:
        """Pipeline thread: convert and hand over (replacing a frame not yet sent)."""
        video = to_video_frame(frame)
        self._owner_loop.call_soon_threadsafe(self._put, video, frame.captured_at)

    def _put(self, video: av.VideoFrame, captured_at: float) -> None:
        if self._slot.full():
            self._slot.get_nowait()
        self._slot.put_nowait((video, captured_at))

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        wait = self._next_due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        video, captured_at = await self._slot.get()
        if not self._gate():  # the node's own consent check, before every single frame
            self.stop()
            raise MediaStreamError
        if self._first_capture is None:
            self._first_capture = captured_at
        pts = max(self._last_pts + 1, round((captured_at - self._first_capture) * CLOCK_RATE))
        video.pts, video.time_base = pts, TIME_BASE
        self._last_pts = pts
        self._next_due = time.monotonic() + self._period
        self.sent += 1
        self._on_sent(self.sent)
        return video
