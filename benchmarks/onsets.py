"""Motion quality: matching detected motion-event onsets against labelled activity."""

from __future__ import annotations

from dataclasses import dataclass

EARLY_S = 0.5
LATE_S = 2.0


@dataclass
class OnsetScore:
    true_onsets: int = 0
    found_onsets: int = 0
    detected: int = 0
    correct: int = 0
    false_events: int = 0
    static_s: float = 0.0
    """Seconds of footage with no labelled activity (for false events per hour)."""

    def add(self, other: OnsetScore) -> None:
        for name in ("true_onsets", "found_onsets", "detected", "correct", "false_events", "static_s"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def precision(self) -> float:
        return self.correct / self.detected if self.detected else 1.0

    @property
    def recall(self) -> float:
        return self.found_onsets / self.true_onsets if self.true_onsets else 1.0

    @property
    def false_per_hour(self) -> float:
        return self.false_events * 3600 / self.static_s if self.static_s else 0.0


def spans_from_flags(flags: list[bool], fps: float) -> list[tuple[float, float]]:
    """Moving spans (s) from per-frame truth."""
    spans: list[tuple[float, float]] = []
    start: int | None = None
    for index, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            spans.append((start / fps, index / fps))
            start = None
    return spans


def score_onsets(spans: list[tuple[float, float]], opened_at: list[float], duration_s: float) -> OnsetScore:
    """A true onset is found when an event opens within [-0.5 s, +2 s] of it; an event is correct when it
    opens inside (or within that slack of) a labelled span; the others are false events."""
    score = OnsetScore(true_onsets=len(spans), detected=len(opened_at))
    score.found_onsets = sum(any(start - EARLY_S <= t <= start + LATE_S for t in opened_at) for start, _ in spans)
    for t in opened_at:
        if any(start - EARLY_S <= t <= end + EARLY_S for start, end in spans):
            score.correct += 1
        else:
            score.false_events += 1
    busy = sum(min(duration_s, end + LATE_S) - max(0.0, start - EARLY_S) for start, end in spans)
    score.static_s = max(0.0, duration_s - busy)
    return score
