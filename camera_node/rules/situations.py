"""One event per situation: opened once, updated only when it changes materially, then ended."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from nattvakt.events import Event, EventKind, Origin, Severity, new_event_id, utc_now

WallClock = Callable[[float], datetime]
"""Monotonic time (as the pipeline stamps frames) → UTC, for an event's start and end."""

CONFIDENCE_STEP = 0.15
"""An open situation is re-published ("updated") only when its confidence rose by this much."""


def monotonic_wall_clock() -> WallClock:
    """Maps `time.monotonic()` readings to UTC with one offset taken now (NTP steps later do not matter)."""
    epoch = utc_now() - timedelta(seconds=time.monotonic())
    return lambda at: epoch + timedelta(seconds=at)


class Situations:
    """Open events of one room, by kind."""

    def __init__(self, identity: Origin, wall: WallClock) -> None:
        self._identity = identity
        self._wall = wall
        self._open: dict[str, Event] = {}

    def is_open(self, kind: EventKind) -> bool:
        return kind in self._open

    def open(
        self, kind: EventKind, started: float, severity: Severity, confidence: float, zone: str | None,
        details: dict[str, Any] | None = None,
    ) -> Event | None:
        """Open a situation; None when one of this kind is already open (no storms)."""
        if kind in self._open:
            return None
        event = Event(
            id=new_event_id(), node=self._identity.node, room=self._identity.room, recipient=self._identity.recipient,
            kind=kind, severity=severity, state="open", started_at=self._wall(started),
            confidence=_unit(confidence), zone=zone, details=details or {},
        )
        self._open[kind] = event
        return event

    def update(self, kind: EventKind, confidence: float, details: dict[str, Any] | None = None) -> Event | None:
        """Re-publish an open situation only when its confidence rose by `CONFIDENCE_STEP` or more."""
        event = self._open.get(kind)
        if event is None or _unit(confidence) < event.confidence + CONFIDENCE_STEP:
            return None
        updated = event.model_copy(update={
            "state": "updated", "seq": event.seq + 1, "confidence": _unit(confidence),
            "details": {**event.details, **(details or {})},
        })
        self._open[kind] = updated
        return updated

    def end(self, kind: EventKind, at: float, details: dict[str, Any] | None = None) -> Event | None:
        event = self._open.pop(kind, None)
        if event is None:
            return None
        return event.model_copy(update={
            "state": "ended", "seq": event.seq + 1, "ended_at": self._wall(at),
            "details": {**event.details, **(details or {})},
        })

    def moment(
        self, kind: EventKind, at: float, severity: Severity, confidence: float, zone: str | None,
        details: dict[str, Any] | None = None,
    ) -> list[Event]:
        """Something that happens at an instant (a person entered): opened and ended together."""
        opened = Event(
            node=self._identity.node, room=self._identity.room, recipient=self._identity.recipient, kind=kind,
            severity=severity, started_at=self._wall(at), confidence=_unit(confidence), zone=zone,
            details=details or {},
        )
        return [opened, opened.model_copy(update={"state": "ended", "seq": 1, "ended_at": self._wall(at)})]


def _unit(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 3)
