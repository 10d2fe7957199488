"""The hand-off of outgoing frames from the pipeline thread to look-in streams.

The raw frame exists only in the pipeline thread, so that is where outgoing frames are made: while at least one
look-in subscribes, each raw frame also becomes an `OutgoingFrame` at every level a subscriber needs (one head
search for all of them). With no subscriber the pipeline pays nothing.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from nattvakt.types import PrivacyLevel
from privacy.filters import PrivacyFilter
from privacy.frames import OutgoingFrame, RawFrame
from privacy.observations import PersonObservation

log = logging.getLogger(__name__)

FrameSink = Callable[[OutgoingFrame], None]
"""Called in the pipeline thread with each outgoing frame; must not block."""


@dataclass(frozen=True, slots=True)
class _Subscriber:
    level: PrivacyLevel
    sink: FrameSink


class OutgoingTap:
    """Subscribers by token; `feed` is called by the pipeline thread with each raw frame."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[int, _Subscriber] = {}
        self._tokens = itertools.count(1)
        self.errors = 0

    def subscribe(self, level: PrivacyLevel, sink: FrameSink) -> int:
        with self._lock:
            token = next(self._tokens)
            self._subscribers[token] = _Subscriber(level, sink)
            return token

    def unsubscribe(self, token: int) -> None:
        with self._lock:
            self._subscribers.pop(token, None)

    @property
    def active(self) -> bool:
        return bool(self._subscribers)

    def feed(self, privacy: PrivacyFilter, raw: RawFrame, tracked: tuple[PersonObservation, ...] = ()) -> None:
        """Make the outgoing frames subscribers want from `raw` and hand them over (pipeline thread only);
        `tracked`: the people the care rules follow, whose heads are hidden even where perception misses them."""
        with self._lock:
            subscribers = list(self._subscribers.values())
        if not subscribers:
            return
        levels = tuple(dict.fromkeys(s.level for s in subscribers))
        try:
            frames = privacy.make_outgoing_levels(raw, levels, tracked)
            for subscriber in subscribers:
                subscriber.sink(frames[subscriber.level])
        except Exception:  # boundary: a failed look-in frame must not stop the night's watch
            self.errors += 1
            log.exception("making or handing over an outgoing frame failed (frame %d)", raw.index)
