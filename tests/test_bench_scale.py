"""`nattvakt bench scale --quick`: simulated nodes against a real central, Redis and PostgreSQL produce its figures."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import BENCHMARKS
from benchmarks.all import QUICK_OPTIONS
from benchmarks.results import read_result
from nattvakt.redis_server import free_port

pytestmark = pytest.mark.slow


def test_quick_run_measures_event_latency_signalling_and_central_resources(tmp_path: Path) -> None:
    results = tmp_path / "scale.json"
    run = subprocess.run([sys.executable, "-m", "benchmarks.scale", "--quick", "--results", str(results)],
                         capture_output=True, text=True, timeout=120)
    if run.returncode == 2 and "PostgreSQL is not reachable" in run.stderr:
        pytest.skip(run.stderr.strip())
    assert run.returncode in (0, 1), run.stdout + run.stderr  # 1: a loaded machine may break a budget
    result = read_result(results)
    stages = {stage.stage: stage for stage in result.stages}
    assert set(stages) == {"event_latency", "signalling", "central"}
    for name in ("event_latency", "signalling"):
        assert stages[name].samples_ms, f"no {name} samples"
        figures = {f.name: f for f in stages[name].figures}
        assert {"p50_ms", "p99_ms"} <= set(figures) and all(math.isfinite(f.value) for f in figures.values())
        assert figures["p99_ms"].limit is not None, f"scale.{name} p99 is budgeted"
    central = {f.name: f for f in stages["central"].figures}
    assert central["cpu_percent"].value > 0 and central["rss_mb"].value > 0
    assert central["cpu_percent"].limit is not None and central["rss_mb"].limit is not None
    assert result.notes["nodes"] == 20
    assert "XADD → console" in run.stdout and "central: CPU" in run.stdout
    if run.returncode == 1:
        assert "BUDGET BROKEN" in run.stdout


def test_unreachable_postgresql_is_a_setup_error_that_says_so() -> None:
    dsn = f"host=127.0.0.1 port={free_port()} dbname=test user=postgres"  # nothing listens there
    run = subprocess.run([sys.executable, "-m", "benchmarks.scale", "--quick", "--admin-dsn", dsn],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "PostgreSQL is not reachable" in run.stderr and dsn in run.stderr


def test_registered_for_bench_all_with_a_quick_option() -> None:
    assert BENCHMARKS["scale"] == "benchmarks.scale"
    assert QUICK_OPTIONS["scale"] == ["--quick"]
