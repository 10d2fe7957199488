"""Box agreement for the benchmarks: greedy one-to-one matching and the recall/precision tally built on it."""

from __future__ import annotations

from dataclasses import dataclass

from nattvakt.geometry import Box, iou


def match_count(targets: list[Box], candidates: list[Box], least: float) -> int:
    """Greedy one-to-one matches at IoU ≥ `least`: how many targets have a candidate."""
    free = list(candidates)
    count = 0
    for target in targets:
        best = max(free, key=lambda c: iou(target, c), default=None)
        if best is not None and iou(target, best) >= least:
            free.remove(best)
            count += 1
    return count


@dataclass
class Agreement:
    """Recall = reference people found; precision = boxes that match a plausible reference box."""

    least: float
    """IoU a match needs."""
    reference: int = 0
    found: int = 0
    boxes: int = 0
    agreeing: int = 0

    def add(self, sure: list[Box], plausible: list[Box], got: list[Box]) -> None:
        self.reference += len(sure)
        self.found += match_count(sure, got, self.least)
        self.boxes += len(got)
        self.agreeing += match_count(got, plausible, self.least)

    @property
    def recall(self) -> float:
        return self.found / self.reference if self.reference else float("nan")

    @property
    def precision(self) -> float:
        return self.agreeing / self.boxes if self.boxes else float("nan")
