"""The node takes camera frames at its own rate: exactly that rate from a faster camera, every frame from a slower
one, and it starts over when the clock steps back."""

from __future__ import annotations

import numpy as np
import pytest

from camera_node.frame_pacer import FramePacer


def _taken(pacer: FramePacer, times: np.ndarray) -> list[float]:
    return [float(t) for t in times if pacer.take(float(t))]


@pytest.mark.parametrize("camera_fps", [29.97, 25.0, 15.0, 12.0, 11.0])
def test_a_faster_camera_gives_exactly_the_node_rate_evenly(camera_fps: float) -> None:
    rng = np.random.default_rng(1)
    times = 1000 + np.arange(int(60 * camera_fps)) / camera_fps + rng.uniform(-0.005, 0.005, int(60 * camera_fps))
    taken = _taken(FramePacer(10.0), np.sort(times))
    assert len(taken) == pytest.approx(600, abs=2)
    gaps = np.diff(taken)
    assert gaps.min() >= 0.05 and np.percentile(gaps, 99) <= 0.1 + 1.5 / camera_fps


def test_a_slower_camera_gives_every_frame() -> None:
    times = np.arange(80) / 8.0
    assert len(_taken(FramePacer(10.0), times)) == 80


def test_a_clock_stepped_back_starts_the_schedule_over() -> None:
    pacer = FramePacer(10.0)
    assert [pacer.take(t) for t in (100.0, 100.03, 100.1, 40.0, 40.03, 40.1)] == [True, False, True, True, False, True]


def test_the_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="fps must be positive"):
        FramePacer(0)
