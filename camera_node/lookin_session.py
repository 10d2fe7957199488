"""One look-in on the node: an aiortc peer connection with one video track, and everything that ends it.

It ends at the consented maximum, when central closes it (staff closed it, the event was acknowledged), when the
node's own consent copy no longer allows it (withdrawn, paused, the check-in window closed: checked before every
frame and every 100 ms), when the browser never connects (ICE timeout) or disconnects. `on_report` gets the
`Started` and `Stopped` messages for central's audit trail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from camera_node.errors import CameraNodeError
from camera_node.lookin_tap import OutgoingTap
from camera_node.lookin_track import OutgoingTrack
from nattvakt.lookin_protocol import Offer, Started, Stopped
from nattvakt.types import PrivacyLevel
from privacy.consent_policy import Decision

log = logging.getLogger(__name__)
GUARD_EVERY_S = 0.1
CLOSE_TIMEOUT_S = 5.0


class BadOfferError(CameraNodeError, ValueError):
    """The offer's SDP could not be used."""


class LookinSession:
    """Owns the peer connection and its guard task; `stop(why)` is idempotent."""

    def __init__(
        self, offer: Offer, level: PrivacyLevel, max_duration_s: float, *, check: Callable[[], Decision],
        tap: OutgoingTap, ice_timeout_s: float, on_report: Callable[[Started | Stopped], None],
        on_end: Callable[[LookinSession], None], rtc: RTCConfiguration | None = None,
    ) -> None:
        self.offer = offer
        self.lookin_id = offer.lookin_id
        self.level = level
        self.max_duration_s = max_duration_s
        self._check = check
        self._tap = tap
        self._ice_timeout_s = ice_timeout_s
        self._on_report = on_report
        self._on_end = on_end
        self._pc = RTCPeerConnection(rtc or RTCConfiguration(iceServers=[]))
        self._track = OutgoingTrack(asyncio.get_running_loop(), self._allowed_now, self._sent)
        self._token: int | None = None
        self._guard: asyncio.Task[None] | None = None
        self._began = time.monotonic()
        self._first_frame_at: float | None = None
        self.stopped_why: str | None = None
        self.done = asyncio.Event()

    def _allowed_now(self) -> bool:
        if self.stopped_why is not None:
            return False
        if time.monotonic() - self._began >= self.max_duration_s:
            self.stop("max_duration")
            return False
        decision = self._check()
        if not decision.allowed:
            self.stop(decision.code)
            return False
        return True

    def _sent(self, count: int) -> None:
        if count == 1:
            self._first_frame_at = time.monotonic()
            self._on_report(Started(lookin_id=self.lookin_id, level=self.level))

    async def answer(self) -> str:
        """Answer the browser's offer with one sending video track and no audio; returns the SDP (all candidates)."""
        try:
            await self._pc.setRemoteDescription(RTCSessionDescription(sdp=self.offer.sdp, type="offer"))
        except Exception as exc:  # aiortc raises ValueError, OperationError, ... on SDP it cannot use
            await self._pc.close()
            raise BadOfferError(f"offer SDP not usable: {type(exc).__name__}: {str(exc)[:200]}") from exc
        video = None
        for transceiver in self._pc.getTransceivers():
            if transceiver.kind == "video" and video is None:
                video = transceiver
                transceiver.direction = "sendonly"
                transceiver.sender.replaceTrack(self._track)
            else:  # audio, ever: never; a second video line: one track only
                transceiver.direction = "inactive"
        if video is None:
            await self._pc.close()
            raise BadOfferError("the offer has no video line to answer")
        await self._pc.setLocalDescription(await self._pc.createAnswer())
        self._token = self._tap.subscribe(self.level, self._track.sink)
        self._began = time.monotonic()
        self._guard = asyncio.create_task(self._watch(), name=f"look-in guard {self.lookin_id}")
        return str(self._pc.localDescription.sdp)

    async def _watch(self) -> None:
        try:
            while self.stopped_why is None:
                elapsed = time.monotonic() - self._began
                state = self._pc.connectionState
                if state in ("failed", "closed"):
                    self.stop("disconnected" if self._first_frame_at else "ice_failed")
                elif state != "connected" and self._first_frame_at is None and elapsed >= self._ice_timeout_s:
                    self.stop("ice_timeout")
                else:
                    self._allowed_now()
                await asyncio.sleep(GUARD_EVERY_S)
        except Exception:  # the guard must never die silently: end the look-in instead
            log.exception("look-in %s guard failed", self.lookin_id)
            self.stop("error")

    def stop(self, why: str) -> None:
        """End the look-in now: no further frame is made or sent; the peer connection closes in the background."""
        if self.stopped_why is not None:
            return
        self.stopped_why = why
        if self._token is not None:
            self._tap.unsubscribe(self._token)
        self._track.stop()
        started = self._first_frame_at is not None
        duration = time.monotonic() - self._first_frame_at if self._first_frame_at is not None else 0.0
        log.info("look-in %s stopped (%s) after %.1f s, %d frames", self.lookin_id, why, duration, self._track.sent)
        self._on_report(Stopped(lookin_id=self.lookin_id, why=why, duration_s=round(duration, 3),
                                frames=self._track.sent, started=started))
        self._on_end(self)
        asyncio.get_running_loop().create_task(self._close())

    async def _close(self) -> None:
        try:
            await asyncio.wait_for(self._pc.close(), CLOSE_TIMEOUT_S)
        except Exception as exc:  # closing a half-negotiated connection may raise or stall; it sends nothing now
            log.warning("look-in %s: peer connection did not close cleanly: %r", self.lookin_id, exc)
        if self._guard is not None and self._guard is not asyncio.current_task():
            self._guard.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._guard
        self.done.set()
