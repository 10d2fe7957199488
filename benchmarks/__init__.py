"""Benchmarks: per-frame latency budgets, motion quality and privacy leak counts (`nattvakt bench ...`)."""

from __future__ import annotations

BENCHMARKS: dict[str, str] = {
    # `nattvakt bench <name>` runs `main(argv)` of the module; add one line per benchmark.
    "frames": "benchmarks.frames",
    "bus": "benchmarks.bus",
    "detection": "benchmarks.detection",
}
