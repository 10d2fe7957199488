"""A condition that must hold for a while before a situation opens, and stay gone a while before it ends.

Per processed frame the rule says whether its condition holds. The situation opens when, over the last
`on_after_s`, at least `on_ratio` of the frames held it (a detector that misses a frame now and then must not
restart the clock) and it holds now; it ends when the condition has not held for `off_after_s`. Between
those, nothing is emitted: one situation is one open and one end, never a storm.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

Transition = Literal["open", "end"]


@dataclass(frozen=True, slots=True)
class HysteresisConfig:
    on_after_s: float
    """How long the condition must (mostly) hold before the situation opens."""
    off_after_s: float
    """How long the condition must be absent before the situation ends."""
    on_ratio: float = 0.7
    """Share of frames in the last `on_after_s` that must hold the condition."""

    def __post_init__(self) -> None:
        if self.on_after_s < 0 or self.off_after_s < 0:
            raise ValueError(f"durations must not be negative: {self!r}")
        if not 0 < self.on_ratio <= 1:
            raise ValueError(f"on_ratio must be in (0, 1], got {self.on_ratio!r}")


class Hysteresis:
    """State machine for one situation; `update` with monotonic, non-decreasing times."""

    def __init__(self, config: HysteresisConfig) -> None:
        self.config = config
        self.active = False
        self.opened_at: float | None = None
        """When the condition began holding for the open situation (start of the window that opened it)."""
        self.ratio = 0.0
        """Share of recent frames that held the condition (the confidence of an open situation)."""
        self._samples: deque[tuple[float, bool]] = deque()
        self._last_true: float | None = None
        self._last_time: float | None = None

    @property
    def last_true(self) -> float | None:
        """When the condition last held."""
        return self._last_true

    def update(self, now: float, condition: bool) -> Transition | None:
        if self._last_time is not None and now < self._last_time:
            raise ValueError(f"time went backwards: {now} after {self._last_time}")
        self._last_time = now
        cfg = self.config
        if condition:
            self._last_true = now
        samples = self._samples
        samples.append((now, condition))
        while samples and samples[0][0] < now - cfg.on_after_s:
            samples.popleft()
        self.ratio = sum(held for _, held in samples) / len(samples)
        if not self.active:
            # The window must reach back (within a frame) to a frame that held: on_after_s of it, not less.
            first_true = next((t for t, held in samples if held), None)
            if (
                condition
                and first_true is not None
                and now - first_true >= cfg.on_after_s - 1e-9 - _slack(samples, cfg.on_after_s)
                and self.ratio >= cfg.on_ratio
            ):
                self.active = True
                self.opened_at = first_true
                return "open"
            return None
        assert self._last_true is not None
        if now - self._last_true >= cfg.off_after_s:
            self.active = False
            self.opened_at = None
            return "end"
        return None


def _slack(samples: deque[tuple[float, bool]], window: float) -> float:
    """One frame interval of slack: the oldest sample in a full window is up to a frame younger than `window`."""
    if len(samples) < 2:
        return 0.0
    return min(window, (samples[-1][0] - samples[0][0]) / (len(samples) - 1))
