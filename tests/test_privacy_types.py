"""Raw pixels cannot flow past the privacy filter: mypy rejects it, and the runtime refuses forgeries."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from privacy.faces import FaceBox
from privacy.hold import BoxHold, HoldPolicy

REPO = Path(__file__).resolve().parents[1]

SNIPPET = """
from __future__ import annotations

import numpy as np

from camera_node.motion import MotionDetector
from privacy import PrivacyFilter, RawFrame

raw = RawFrame(np.zeros((48, 64, 3), np.uint8), index=0, captured_at=0.0)
motion = MotionDetector()
motion.update(np.zeros((48, 64, 3), np.uint8))  # line 11: a plain array
motion.update(raw)  # line 12: the raw frame itself
raw.pixels  # line 13: raw pixels are not an attribute
motion.update(PrivacyFilter().make_private(raw))  # line 14: the only way: fine
"""


def test_mypy_rejects_raw_pixels_downstream(tmp_path: Path) -> None:
    snippet = tmp_path / "leak.py"
    snippet.write_text(textwrap.dedent(SNIPPET))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--follow-imports=silent", "--config-file",
         str(REPO / "pyproject.toml"), str(snippet)],
        cwd=REPO, capture_output=True, text=True, timeout=110,
    )
    errors = [line for line in result.stdout.splitlines() if "leak.py:" in line and ": error:" in line]
    lines = sorted({int(line.split(":")[1]) for line in errors})
    assert lines == [11, 12, 13], result.stdout
    assert all('expected "PrivateFrame"' in e for e in errors if ":11:" in e or ":12:" in e), result.stdout


def _box(x: float) -> FaceBox:
    return FaceBox(x, 10.0, x + 20.0, 30.0, 0.9)


def test_held_box_survives_between_runs_and_one_missed_run() -> None:
    hold = BoxHold(HoldPolicy(hold_frames=5, hold_runs=2, grow_per_frame=0.0))
    hold.observe(0, [_box(100)])
    assert len(hold.boxes(9)) == 1, "no detector run between frames 0 and 10: the box stays"
    hold.observe(10, [])
    assert len(hold.boxes(11)) == 1, "one missed run is not enough to drop it"
    hold.observe(20, [])
    assert hold.boxes(21) == []


def test_held_box_lives_hold_frames_even_when_runs_are_frequent() -> None:
    hold = BoxHold(HoldPolicy(hold_frames=5, hold_runs=2, grow_per_frame=0.0))
    hold.observe(0, [_box(100)])
    for frame in (1, 2, 3, 4):
        hold.observe(frame, [])
        assert len(hold) == 1
    hold.observe(5, [])
    assert len(hold) == 0


def test_held_box_grows_with_age_and_is_replaced_when_found_again() -> None:
    hold = BoxHold(HoldPolicy(grow_per_frame=0.1, max_grow=1.5))
    hold.observe(0, [_box(100)])
    assert hold.boxes(3)[0].width == pytest.approx(26.0)
    assert hold.boxes(50)[0].width == pytest.approx(30.0)
    hold.observe(4, [_box(105)])
    assert [b.x1 for b in hold.boxes(4)] == [105.0]


def test_plain_arrays_are_refused_at_run_time_too() -> None:
    from camera_node.motion import MotionDetector

    with pytest.raises(TypeError, match="PrivateFrame"):
        MotionDetector().update(np.zeros((4, 4, 3), np.uint8))  # type: ignore[arg-type]
