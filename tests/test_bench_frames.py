"""The frame benchmark runs and reads its budgets; its timings are not asserted here (that is its own job)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import capture, frames
from benchmarks.budgets import BudgetError, load_budgets
from benchmarks.onsets import score_onsets, spans_from_flags


def test_budgets_file_has_every_stage() -> None:
    budgets = load_budgets("frames", frames.STAGES)
    assert budgets["motion"]["p99_ms"] == 2.0
    assert budgets["privacy"] == {"mean_ms": 8.0, "p99_ms": 25.0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[frames.privacy]\nmean_ms = 8\n[frames.motion]\np99_ms = 2\n", "no budget for stage frames.total"),
        ('[frames.privacy]\nmean_ms = "fast"\n[frames.motion]\np99_ms = 2\n[frames.total]\np99_ms = 30\n',
         "frames.privacy.mean_ms must be a positive number, got 'fast'"),
        ("[frames.privacy]\np95_ms = 8\n", "unknown statistic frames.privacy.p95_ms"),
        ("[frames\n", "cannot read budgets"),
        ("[other]\n", "has no \\[frames\\] budgets"),
    ],
)
def test_bad_budgets_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "budgets.toml"
    path.write_text(text)
    with pytest.raises(BudgetError, match=message):
        load_budgets("frames", frames.STAGES, path)


def test_quick_run_prints_stages_quality_and_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    code = frames.main(["--quick", "--clock", "cpu"])
    out = capsys.readouterr().out
    assert code in (0, 1)  # over budget is the benchmark's verdict, not this test's
    for needle in ("privacy  mean", "motion   mean", "total    mean", "motion reference lean", "motion onsets [ours]",
                   "budget", "fps on one thread", "node load", "of one core on empty still room",
                   "capture over RTSP, 640x480 h264 at 25 fps", "budget OK  capture_640x480.max_cpu_share",
                   "node CPU for capture"):
        assert needle in out, out


def test_onset_scoring() -> None:
    spans = spans_from_flags([False] * 10 + [True] * 10 + [False] * 30, fps=10.0)
    assert spans == [(1.0, 2.0)]
    score = score_onsets(spans, opened_at=[1.2, 4.5], duration_s=5.0)
    assert (score.found_onsets, score.correct, score.false_events) == (1, 1, 1)
    assert score.precision == 0.5 and score.recall == 1.0
    assert score.static_s == pytest.approx(5.0 - 3.5)


def test_capture_budgets_are_read_and_checked(tmp_path: Path) -> None:
    limits = capture.capture_limits()
    assert set(limits) >= {"capture_640x480", "capture_1920x1080"}
    assert set(limits["capture_640x480"]) == {"p50_ms", "p99_ms", "max_cpu_share"}
    path = tmp_path / "budgets.toml"
    path.write_text("[frames.capture_640x480]\nmax_cpu_share = -1\n")
    with pytest.raises(BudgetError, match=r"frames\.capture_640x480\.max_cpu_share"):
        capture.capture_limits(path)
    over = capture.CaptureFigures((640, 480), "h264", 3, [1.0, 2.0, 30.0], 0.5, 25.0)
    assert capture.check(over, {"capture_640x480": {"p50_ms": 3.0, "max_cpu_share": 0.1}}) == [
        "capture_640x480.max_cpu_share = 0.500 > 0.1"
    ]
