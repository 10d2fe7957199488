"""The one video track of a look-in: outgoing frames only, sent as they come, timestamped by us.

The pipeline takes frames at the node's rate (`camera_node.frame_pacer`) and the tap makes an outgoing frame of
each; `recv` hands each on as soon as it arrives, with a 90 kHz timestamp from its capture time. It keeps no timer
of its own: a second schedule beside the frames' own dropped one whenever the two drifted apart (9.1-9.4 of 10 a
second reached the viewer on the loaded 2-core machine).
aiortc's `VideoStreamTrack.next_timestamp` (30 fps, its own sleeps) is not used for the same reason. Conversion to
an `av.VideoFrame` happens in the pipeline thread (the sink), not on the event loop.
"""

from __future__ import annotations

import asyncio
import fractions
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

    def __init__(self, loop: asyncio.AbstractEventLoop, gate: Callable[[], bool],
                 on_sent: Callable[[int], None]) -> None:
        super().__init__()
        self._owner_loop = loop
        self._gate = gate
        self._on_sent = on_sent
        self._slot: asyncio.Queue[tuple[av.VideoFrame, float]] = asyncio.Queue(maxsize=1)
        self._first_capture: float | None = None
        self._last_pts = -1
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
        video, captured_at = await self._slot.get()
        if not self._gate():  # the node's own consent check, before every single frame
            self.stop()
            raise MediaStreamError
        if self._first_capture is None:
            self._first_capture = captured_at
        pts = max(self._last_pts + 1, round((captured_at - self._first_capture) * CLOCK_RATE))
        video.pts, video.time_base = pts, TIME_BASE
        self._last_pts = pts
        self.sent += 1
        self._on_sent(self.sent)
        return video
