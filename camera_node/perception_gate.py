"""When to run perception: on motion, when a tracked person is due a look, and on idle scans, at a capped rate.

As good NVRs do, a still, empty room costs no inference. But a person who is not moving must still be found: one
who lay down while the camera was blind, or who barely moves, gives no motion. So while nobody is tracked, an idle
scan looks every `idle_scan_s` — only when the picture changed since the last look, so a still room stays free.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GateInput:
    motion: bool
    """The last frame moved."""
    recheck: bool
    """A tracked (or tentative) person is due a look."""
    tracking: bool
    """Someone is tracked: no idle scans needed, rechecks cover them."""
    changed: bool
    """The picture changed since perception last looked."""


class PerceptionGate:
    """Says whether this frame goes to perception; one per camera, used from the pipeline thread."""

    def __init__(self, max_rate: float, idle_scan_s: float) -> None:
        if not max_rate > 0:
            raise ValueError(f"perception max rate must be positive, got {max_rate!r}")
        if not idle_scan_s > 0:
            raise ValueError(f"idle scan interval must be positive, got {idle_scan_s!r}")
        self.min_interval = 1.0 / max_rate
        self.idle_scan_s = idle_scan_s
        self._last: float | None = None

    def due(self, now: float, state: GateInput) -> bool:
        """True (and counted as a run) when a look is wanted and the cap allows it."""
        since = None if self._last is None else now - self._last
        if since is not None and since < self.min_interval:
            return False
        idle_scan = not state.tracking and state.changed and (since is None or since >= self.idle_scan_s)
        if not (state.motion or state.recheck or idle_scan):
            return False
        self._last = now
        return True
