"""Benchmarks: per-frame latency budgets, motion quality and privacy leak counts (`nattvakt bench ...`)."""

from __future__ import annotations

BENCHMARKS: dict[str, str] = {
    # `nattvakt bench <name>` runs `main(argv)` of the module; add one line per benchmark.
    "all": "benchmarks.all",
    "frames": "benchmarks.frames",
    "bus": "benchmarks.bus",
    "detection": "benchmarks.detection",
    "events": "benchmarks.events",
    "privacy": "benchmarks.face_leaks",
    "heads": "benchmarks.heads",
    "lookin": "benchmarks.lookin",
    "scale": "benchmarks.scale",
    "login_flood": "benchmarks.login_flood",
    "verify": "benchmarks.verify",
}
