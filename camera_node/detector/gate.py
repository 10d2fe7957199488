"""When to run the detector: only on motion or when a tracked person needs re-checking, at a capped rate.

As good NVRs do, a still room costs no inference; the cap keeps a busy room from taking both cores.
"""

from __future__ import annotations


class DetectionGate:
    """Says whether this frame should go to the detector; one per camera, used from the pipeline thread."""

    def __init__(self, max_rate: float) -> None:
        if not max_rate > 0:
            raise ValueError(f"detector max rate must be positive, got {max_rate!r}")
        self.min_interval = 1.0 / max_rate
        self._last: float | None = None

    def due(self, now: float, *, motion: bool, recheck: bool = False) -> bool:
        """True (and counted as a run) when something moved or a track needs a look, and the cap allows it."""
        if not (motion or recheck):
            return False
        if self._last is not None and now - self._last < self.min_interval:
            return False
        self._last = now
        return True
