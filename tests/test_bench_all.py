"""`nattvakt bench all`: one command, a table, a Markdown report with plots, and an exit status that tells."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.all import Outcome, table
from benchmarks.results import BenchResult, Figure, read_result


def test_quick_run_writes_report_with_machine_plots_and_honest_exit_status(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "nattvakt", "bench", "all", "--quick", "--only", "frames", "detection",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode in (0, 1), run.stderr
    (folder,) = tmp_path.iterdir()
    report = (folder / "report.md").read_text()
    assert "## Machine" in report and "CPU:" in report and "onnxruntime:" in report
    for name in ("frames", "detection"):
        result = read_result(folder / f"{name}.json")
        assert result.stages and all(s.figures for s in result.stages)
        png = folder / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"]({png.name})" in report
    assert (folder / "cpu-per-frame.png").exists()
    frames = read_result(folder / "frames.json")
    budgeted = [f for s in frames.stages for f in s.figures if f.limit is not None]
    assert {f.name for f in budgeted} >= {"p99_ms", "mean_ms"}
    assert "| frames | total | p99_ms |" in run.stdout
    if run.returncode == 0:
        assert "All budgets hold." in report
    else:  # a loaded machine may break a budget; then the report and stderr must say which benchmark
        assert "Budget broken or benchmark failed" in report and "budget broken" in run.stderr


def test_table_marks_a_broken_budget_and_a_crashed_benchmark() -> None:
    over = BenchResult("frames")
    over.figure_stage("motion", Figure("p99_ms", 3.5, "ms", 2.0))
    fine = BenchResult("bus")
    fine.figure_stage("throughput", Figure("events_per_s", 6000, "events/s", 5000, higher_is_better=True))
    rows = "\n".join(
        table([
            Outcome("frames", 1, 1.0, over, Path("frames.log")),
            Outcome("bus", 0, 1.0, fine, Path("bus.log")),
            Outcome("lookin", 2, 1.0, None, Path("lookin.log")),
        ])
    )
    assert "| frames | motion | p99_ms | 3.5 ms | ≤ 2 | **OVER** |" in rows
    assert "| bus | throughput | events_per_s | 6000 events/s | ≥ 5000 | OK |" in rows
    assert "| lookin | — | — | no figures written | — | FAILED (exit 2) |" in rows
