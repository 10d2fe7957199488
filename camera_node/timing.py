"""Per-stage latency of the frame pipeline: recent samples, p50/p99 on demand.

Written by the pipeline thread, read by the health endpoint on the event loop; a lock keeps
the two apart. Samples are milliseconds from `time.perf_counter` (monotonic); capture wait
is never inside a stage.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class StageSummary:
    count: int
    """Samples in the window."""
    mean_ms: float
    p50_ms: float
    p99_ms: float
    max_ms: float


class StageTimings:
    """A window of the last `window` samples per stage."""

    def __init__(self, window: int = 2000) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._samples: dict[str, deque[float]] = {}
        self.counters: dict[str, int] = {}
        """Totals the pipeline counts (frames, dropped, bad frames...), for the status."""

    def record(self, stage: str, ms: float) -> None:
        with self._lock:
            samples = self._samples.get(stage)
            if samples is None:
                samples = self._samples[stage] = deque(maxlen=self._window)
            samples.append(ms)

    def count(self, name: str, by: int = 1) -> None:
        with self._lock:
            self.counters[name] = self.counters.get(name, 0) + by

    def samples(self, stage: str) -> list[float]:
        with self._lock:
            return list(self._samples.get(stage, ()))

    def summary(self) -> dict[str, StageSummary]:
        with self._lock:
            snapshot = {stage: np.array(samples) for stage, samples in self._samples.items() if samples}
        return {stage: summarise(values) for stage, values in snapshot.items()}


def summarise(values: np.ndarray) -> StageSummary:
    """p50/p99 of milliseconds."""
    return StageSummary(
        count=int(values.size),
        mean_ms=round(float(values.mean()), 3),
        p50_ms=round(float(np.percentile(values, 50)), 3),
        p99_ms=round(float(np.percentile(values, 99)), 3),
        max_ms=round(float(values.max()), 3),
    )
