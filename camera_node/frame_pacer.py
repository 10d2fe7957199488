"""Which camera frames the node processes: its own rate (`node.fps`, 10), whatever rate the camera sends.

A camera sends 15-30 frames a second; the pipeline once took each as fast as it could, so the night's watch cost
up to three times what it was measured and tuned at (rules, held privacy boxes and the benchmarks count frames at
10 fps), and a look-in's outgoing frames (a head search each) were made for frames the stream then dropped.
"""

from __future__ import annotations


class FramePacer:
    """Picks frames at `fps` by their capture times: on average exactly `fps` from a faster source (a frame up to
    half a period early counts, and the schedule does not drift with the source's own rate), every frame from a
    slower one."""

    def __init__(self, fps: float) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps!r}")
        self._period = 1.0 / fps
        self._due: float | None = None

    def take(self, captured_at: float) -> bool:
        """Whether the frame captured at `captured_at` (seconds, any clock that moves forward) is processed."""
        period, slack = self._period, self._period / 2
        if self._due is not None and captured_at < self._due - slack:
            if captured_at > self._due - 2 * period:
                return False
            self._due = None  # far before the schedule: the clock stepped back, start it over
        base = captured_at if self._due is None else self._due
        self._due = max(base + period, captured_at + period - slack)
        return True
