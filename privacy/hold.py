"""Face boxes held across frames, so a face the detector misses for a moment stays hidden.

The detector is amortised (it does not run on every frame), so a box is only dropped at a
detection run: after `hold_runs` runs in a row without it *and* at least `hold_frames`
frames since it was last seen. Between runs every held box stays, and grows a little per
frame of age to cover movement. This is what makes skipping detector runs leak nothing
that a per-frame detector with a `hold_frames` hold would have hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from privacy.faces import FaceBox


@dataclass(frozen=True, slots=True)
class HoldPolicy:
    hold_frames: int = 5
    """Frames a box lives at least after it was last seen."""
    hold_runs: int = 2
    """Detector runs in a row that must miss a box before it is dropped."""
    grow_per_frame: float = 0.04
    """Relative growth of a held box per frame since it was last seen (movement margin)."""
    max_grow: float = 1.6
    """Cap on that growth."""


@dataclass(frozen=True, slots=True)
class _Held:
    box: FaceBox
    seen_at: int
    misses: int


class BoxHold:
    """Per-stream state: belongs to one filter, which belongs to one pipeline."""

    def __init__(self, policy: HoldPolicy) -> None:
        self._policy = policy
        self._held: list[_Held] = []

    def __len__(self) -> int:
        return len(self._held)

    def observe(self, frame_no: int, found: list[FaceBox]) -> None:
        """Record one detector run's boxes at frame `frame_no`."""
        kept = [_Held(box, frame_no, 0) for box in found]
        for held in self._held:
            if any(_overlaps(held.box, box) for box in found):
                continue  # re-found: the fresh box replaces it
            misses = held.misses + 1
            if misses >= self._policy.hold_runs and frame_no - held.seen_at >= self._policy.hold_frames:
                continue
            kept.append(_Held(held.box, held.seen_at, misses))
        self._held = kept

    def boxes(self, frame_no: int) -> list[FaceBox]:
        """Boxes to hide at `frame_no`, grown by their age."""
        policy = self._policy
        out = []
        for held in self._held:
            age = max(0, frame_no - held.seen_at)
            out.append(held.box.scaled(min(policy.max_grow, 1.0 + policy.grow_per_frame * age)))
        return out

    def clear(self) -> None:
        self._held = []


def _overlaps(a: FaceBox, b: FaceBox) -> bool:
    return a.x1 < b.x2 and b.x1 < a.x2 and a.y1 < b.y2 and b.y1 < a.y2
