"""Camera faults: a picture that is lost, frozen, black or covered for too long.

A pure-ish state machine fed once per pipeline turn with the small grey copy that motion
already made (or None when no frame came). A fault opens one `camera_fault` event with its
reason after `after_s` seconds and ends it when a good picture returns.
"""

from __future__ import annotations

import logging
from typing import Literal

import cv2
import numpy as np

from nattvakt.events import Event, Origin, Severity, utc_now

log = logging.getLogger(__name__)

FaultReason = Literal["lost", "frozen", "black", "covered"]
BLACK_LEVEL = 10.0
"""Mean grey level below which the picture is black (a lens cap, a dead sensor)."""
FLAT_LEVEL = 4.0
"""Grey-level standard deviation below which the view is one flat shade: the lens is covered.

A dark IR room still has std ≈ 9 on the benchmark scenes; a covered lens ≈ 0.5."""


def classify(grey: np.ndarray | None, crc: int, previous_crc: int | None) -> FaultReason | None:
    """What is wrong with this picture (small grey copy, checksum of sampled raw pixels), if anything."""
    if grey is None:
        return "lost"
    means, stds = cv2.meanStdDev(grey)  # one pass per frame serves both checks
    mean, std = float(means[0, 0]), float(stds[0, 0])
    if mean < BLACK_LEVEL and std < FLAT_LEVEL:
        return "black"
    if crc == previous_crc:
        return "frozen"  # real sensors never repeat a frame bit for bit
    if std < FLAT_LEVEL:
        return "covered"
    return None


class CameraFaultMonitor:
    """Opens a `camera_fault` event when one reason lasts `after_s`; ends it when the picture is good again."""

    def __init__(self, identity: Origin, after_s: float) -> None:
        self._identity = identity
        self._after_s = after_s
        self._previous_crc: int | None = None
        self._reason: FaultReason | None = None
        self._since = 0.0
        self._open: Event | None = None
        self.active: FaultReason | None = None
        """The reason of the open fault, for the node's status."""

    def update(self, grey: np.ndarray | None, crc: int, at: float, cause: str | None = None) -> Event | None:
        """Feed one pipeline turn: the frame's small grey copy and raw checksum, or None without a frame.

        `cause` is capture's word for why no frame came (unauthorized, not_found, stalled, ...): a lost camera's
        event carries it, so whoever visits knows whether to bring a password or a ladder."""
        reason = classify(grey, crc, self._previous_crc)
        if grey is not None:
            self._previous_crc = crc
        if reason != self._reason:
            self._reason, self._since = reason, at
        if reason is None:
            return self._end()
        if self._open is None and at - self._since >= self._after_s:
            self._open = Event(
                node=self._identity.node,
                room=self._identity.room,
                recipient=self._identity.recipient,
                kind="camera_fault",
                severity=Severity.HIGH,
                details={"reason": reason, "after_s": round(at - self._since, 1)}
                | ({"cause": cause} if reason == "lost" and cause else {}),
            )
            self.active = reason
            log.warning("%s: camera fault: %s%s", self._identity.node, reason, f" ({cause})" if cause else "")
            return self._open
        return None

    def _end(self) -> Event | None:
        if self._open is None:
            return None
        ended = self._open.model_copy(update={"state": "ended", "seq": self._open.seq + 1, "ended_at": utc_now()})
        log.info("%s: camera picture is back (%s ended)", self._identity.node, self.active)
        self._open, self.active = None, None
        return ended
