"""Machine-readable results of one benchmark run, for `nattvakt bench all`'s table, plots and report.

Each benchmark keeps printing its own human summary and checking its own budgets; given `--results PATH` it also
writes what it measured here: per stage the figures against their budgets and, for latencies, the raw samples
(the report plots their distributions).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure and, when budgeted, its limit. `higher_is_better` for throughput-like figures."""

    name: str
    value: float
    unit: str = "ms"
    limit: float | None = None
    higher_is_better: bool = False

    @property
    def ok(self) -> bool:
        if self.limit is None:
            return True
        return self.value >= self.limit if self.higher_is_better else self.value <= self.limit


@dataclass(slots=True)
class StageResult:
    stage: str
    figures: list[Figure] = field(default_factory=list)
    samples_ms: list[float] = field(default_factory=list)
    """Raw latencies for the distribution plot (may be empty for non-latency stages)."""


@dataclass(slots=True)
class BenchResult:
    benchmark: str
    stages: list[StageResult] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    """Anything else worth a line in the report (fps, CPU per frame, quality figures)."""

    def latency_stage(self, stage: str, samples_ms: Sequence[float], limits: dict[str, float]) -> StageResult:
        """Add a latency stage: p50/p99/mean of `samples_ms`, each compared with its limit when budgeted."""
        values = np.asarray(samples_ms, dtype=float)
        statistics = {
            "p50_ms": float(np.percentile(values, 50)) if values.size else float("nan"),
            "p99_ms": float(np.percentile(values, 99)) if values.size else float("nan"),
            "mean_ms": float(values.mean()) if values.size else float("nan"),
        }
        result = StageResult(stage, samples_ms=[round(float(v), 4) for v in values])
        for name, value in statistics.items():
            result.figures.append(Figure(name, round(value, 3), "ms", limits.get(name)))
        self.stages.append(result)
        return result

    def figure_stage(self, stage: str, *figures: Figure) -> StageResult:
        result = StageResult(stage, list(figures))
        self.stages.append(result)
        return result

    @property
    def ok(self) -> bool:
        return all(f.ok for s in self.stages for f in s.figures)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), allow_nan=True), encoding="utf-8")


def read_result(path: Path) -> BenchResult:
    """The inverse of `BenchResult.write`; raises ValueError on a file that is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        stages = [
            StageResult(s["stage"], [Figure(**f) for f in s["figures"]], list(s.get("samples_ms", [])))
            for s in data["stages"]
        ]
        return BenchResult(data["benchmark"], stages, dict(data.get("notes", {})))
    except (OSError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a benchmark result: {exc}") from exc
