"""Turns per-frame motion into one open/ended event per bout of motion (no event storms),
and a light change into one short `light_change` event (opened and ended at once)."""

from __future__ import annotations

from camera_node.motion import MotionResult
from nattvakt.events import Event, Origin, Severity, new_event_id, utc_now

__all__ = ["MotionEventRule", "light_change_events"]


class MotionEventRule:
    """Opens a `motion` event on the first moving frame; ends it after `quiet_s` without motion."""

    def __init__(self, identity: Origin, quiet_s: float) -> None:
        self._identity = identity
        self._quiet_s = quiet_s
        self._open: Event | None = None
        self._last_motion_at = 0.0
        self._peak = 0.0

    def update(self, result: MotionResult, at: float) -> Event | None:
        """Feed one frame's motion (at monotonic time `at`); returns an event to publish, if any."""
        if result.moving:
            self._last_motion_at = at
            self._peak = max(self._peak, result.score)
            if self._open is None:
                self._open = Event(
                    id=new_event_id(),
                    node=self._identity.node,
                    room=self._identity.room,
                    recipient=self._identity.recipient,
                    kind="motion",
                    severity=Severity.INFO,
                    confidence=min(1.0, 0.5 + result.score * 10),
                    details={"score": round(result.score, 4)},
                )
                return self._open
            return None
        if self._open is not None and at - self._last_motion_at >= self._quiet_s:
            ended = self._open.model_copy(
                update={
                    "state": "ended",
                    "seq": self._open.seq + 1,
                    "ended_at": utc_now(),
                    "details": {"score": round(self._open.details["score"], 4), "peak": round(self._peak, 4)},
                }
            )
            self._open = None
            self._peak = 0.0
            return ended
        return None


def light_change_events(identity: Origin, details: dict[str, float]) -> list[Event]:
    """A light switch or IR mode change is a moment, not a situation: open and end it together."""
    opened = Event(
        node=identity.node,
        room=identity.room,
        recipient=identity.recipient,
        kind="light_change",
        severity=Severity.INFO,
        details={key: round(value, 3) for key, value in details.items()},
    )
    ended = opened.model_copy(update={"state": "ended", "seq": 1, "ended_at": utc_now()})
    return [opened, ended]
