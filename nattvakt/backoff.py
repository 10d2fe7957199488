"""Waiting between reconnect attempts: one helper for every loop that retries a server or a camera.

Delays double from `first_s` up to `cap_s`, and each is shortened by a random share of up to `jitter` so nodes that
lost the same server do not all come back in step. Jitter only ever shortens a delay: no retry waits longer than the
plain doubling would.
"""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """The delays of one retry loop; `reset()` after a success starts again from `first_s`."""

    def __init__(self, first_s: float, cap_s: float, *, jitter: float = 0.2,
                 rng: Callable[[], float] = random.random) -> None:
        if not 0 < first_s <= cap_s:
            raise ValueError(f"backoff needs 0 < first_s <= cap_s, got first_s={first_s!r}, cap_s={cap_s!r}")
        if not 0 <= jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), got {jitter!r}")
        self.first_s = first_s
        self.cap_s = cap_s
        self._jitter = jitter
        self._rng = rng
        self._current = first_s

    def next(self, *, grow: bool = True) -> float:
        """The delay before the next attempt; unless `grow` is False, the one after it doubles (up to the cap)."""
        delay = self._current * (1 - self._jitter * self._rng())
        if grow:
            self._current = min(self._current * 2, self.cap_s)
        return delay

    def reset(self) -> None:
        self._current = self.first_s
