"""One privacy-safe still of the view, for ops drawing the zones on the room in the console.

The still is an outgoing frame (made by `privacy` at `STILL_LEVEL`, a strong level that keeps where bed, floor and
door are) taken from the same tap look-ins use, scaled down to `STILL_MAX_WIDTH` and sent as JPEG. The node
keeps no copy. A camera that yields no frame in time gets `error="no_frame"`, never a raw picture.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib

import cv2
import numpy as np

from camera_node.lookin_tap import OutgoingTap
from nattvakt.lookin_protocol import MAX_STILL_CHARS, STILL_LEVEL, STILL_MAX_WIDTH, Still, StillRequest
from privacy.frames import OutgoingFrame

FRAME_WAIT_S = 2.0
"""Shorter than central's `still_timeout_s`, so central hears "no frame" rather than nothing."""
JPEG_QUALITY = 70


def still_jpeg(frame: OutgoingFrame, max_width: int = STILL_MAX_WIDTH) -> bytes:
    """The outgoing frame as JPEG, no wider than `max_width` (a pure function of the frame)."""
    pixels = np.ascontiguousarray(frame.pixels)
    h, w = pixels.shape[:2]
    if w > max_width:
        size = (max_width, max(1, round(h * max_width / w)))
        pixels = np.asarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("OpenCV could not encode the still as JPEG")
    return encoded.tobytes()


async def take_still(tap: OutgoingTap, request: StillRequest, wait_s: float = FRAME_WAIT_S) -> Still:
    """Subscribe to the tap for one outgoing frame at `STILL_LEVEL`, then let go of it."""
    loop = asyncio.get_running_loop()
    got: asyncio.Future[OutgoingFrame] = loop.create_future()

    def sink(frame: OutgoingFrame) -> None:  # pipeline thread
        loop.call_soon_threadsafe(lambda: None if got.done() else got.set_result(frame))

    token = tap.subscribe(STILL_LEVEL, sink)
    try:
        frame = await asyncio.wait_for(got, wait_s)
    except TimeoutError:
        return Still(request_id=request.request_id, error="no_frame")
    finally:
        tap.unsubscribe(token)
        with contextlib.suppress(asyncio.InvalidStateError):
            got.cancel()
    text = base64.b64encode(await asyncio.to_thread(still_jpeg, frame)).decode("ascii")
    if len(text) > MAX_STILL_CHARS:
        return Still(request_id=request.request_id, error="too_large")
    return Still(request_id=request.request_id, jpeg_b64=text)
