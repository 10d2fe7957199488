from __future__ import annotations

import pytest

from nattvakt.backoff import Backoff


def test_delays_double_to_the_cap_and_start_over_after_reset() -> None:
    retry = Backoff(0.5, 3.0, jitter=0.0)
    assert [retry.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    retry.reset()
    assert retry.next() == 0.5
    assert retry.next(grow=False) == retry.next() == 1.0


def test_jitter_only_shortens_a_delay() -> None:
    assert Backoff(1.0, 1.0, jitter=0.2, rng=lambda: 0.0).next() == 1.0
    assert Backoff(1.0, 1.0, jitter=0.2, rng=lambda: 1.0).next() == pytest.approx(0.8)


@pytest.mark.parametrize(("first", "cap", "jitter"), [(0.0, 1.0, 0.2), (2.0, 1.0, 0.2), (0.5, 1.0, 1.0)])
def test_bad_parameters_are_refused(first: float, cap: float, jitter: float) -> None:
    with pytest.raises(ValueError, match=r"backoff|jitter"):
        Backoff(first, cap, jitter=jitter)
