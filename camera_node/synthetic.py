"""A synthetic bedroom with exact ground truth, for demos, tests and the frame benchmark.

Scenarios (one cycle each, repeating): `walk` (a person crosses the room), `light_switch`
(lights off into IR night mode, on again, then a walk), `insects` (IR night, bright fast
blobs near the lens, no person), `drift` (slow light drift, no person), `close` (someone
right in front of the camera), `noise` (heavy IR sensor noise), and the camera faults
`covered`, `frozen` and `black`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from privacy.frames import Pixels

Scenario = Literal["walk", "light_switch", "insects", "drift", "close", "noise", "covered", "frozen", "black"]
SCENARIOS: tuple[Scenario, ...] = (
    "walk", "light_switch", "insects", "drift", "close", "noise", "covered", "frozen", "black",
)
FaultKind = Literal["frozen", "black", "covered"]


@dataclass(frozen=True, slots=True)
class SceneTiming:
    """One cycle: the room is empty, a person walks across, the room is empty again."""

    cycle_s: float = 16.0
    walk_start_s: float = 4.0
    walk_end_s: float = 10.0


_EVENTS_AT: dict[str, tuple[float, float]] = {
    # Start and end (s) of the scenario's special span within its cycle.
    "light_switch": (3.0, 8.0),  # lights off (IR) between these
    "insects": (0.0, 0.0),
    "close": (5.0, 9.0),
    "covered": (4.0, 10.0),
    "frozen": (4.0, 10.0),
    "black": (4.0, 10.0),
}
_CYCLES: dict[str, SceneTiming] = {
    "walk": SceneTiming(),
    "light_switch": SceneTiming(20.0, 12.0, 17.0),
    "insects": SceneTiming(20.0, 99.0, 99.0),
    "drift": SceneTiming(20.0, 99.0, 99.0),
    "close": SceneTiming(16.0, 99.0, 99.0),
    "noise": SceneTiming(16.0, 99.0, 99.0),
    "covered": SceneTiming(16.0, 99.0, 99.0),
    "frozen": SceneTiming(16.0, 99.0, 99.0),
    "black": SceneTiming(16.0, 99.0, 99.0),
}


@dataclass(frozen=True, slots=True)
class FrameTruth:
    moving: bool
    """A person moves in view (what motion must report)."""
    light_switched: bool = False
    """The room light or IR mode changed on this very frame."""
    fault: FaultKind | None = None


class SyntheticScene:
    """Renders frame `i` at `fps` deterministically; noise is seeded per frame."""

    def __init__(
        self,
        width: int = 640,
        height: int = 480,
        fps: float = 10.0,
        timing: SceneTiming | None = None,
        scenario: Scenario = "walk",
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown synthetic scenario {scenario!r}; allowed: {', '.join(SCENARIOS)}")
        self.width = width
        self.height = height
        self.fps = fps
        self.scenario = scenario
        self.timing = timing or _CYCLES[scenario]
        self._background = self._draw_background()

    def person_visible(self, t: float) -> bool:
        """Ground truth: whether the walking person is in view (and moving) at time t."""
        phase = t % self.timing.cycle_s
        return self.timing.walk_start_s <= phase < self.timing.walk_end_s

    def _span(self, t: float) -> bool:
        start, end = _EVENTS_AT.get(self.scenario, (0.0, 0.0))
        return start <= t % self.timing.cycle_s < end

    def truth(self, index: int) -> FrameTruth:
        """Exact ground truth for frame `index`."""
        t = index / self.fps
        moving = self.person_visible(t) or (self.scenario == "close" and self._span(t))
        switched = self.scenario == "light_switch" and index > 0 and self._span(t) != self._span(t - 1 / self.fps)
        fault: FaultKind | None = None
        if self.scenario in ("covered", "frozen", "black") and self._span(t):
            fault = self.scenario
        return FrameTruth(moving, switched, fault)

    def render(self, index: int) -> Pixels:
        t = index / self.fps
        if self.scenario == "frozen" and self._span(t):
            start = _EVENTS_AT["frozen"][0]
            index = int((t // self.timing.cycle_s * self.timing.cycle_s + start) * self.fps)  # repeat one frame
            t = index / self.fps
        rng = np.random.default_rng(index)
        if self.scenario == "black" and self._span(t):
            return np.zeros((self.height, self.width, 3), np.uint8)
        if self.scenario == "covered" and self._span(t):
            flat = np.full((self.height, self.width, 3), (38, 44, 52), np.int16)
            return np.clip(flat + rng.normal(0.0, 0.7, flat.shape), 0, 255).astype(np.uint8)
        frame = self._background.copy()
        if self.person_visible(t):
            phase = (t % self.timing.cycle_s - self.timing.walk_start_s) / (
                self.timing.walk_end_s - self.timing.walk_start_s
            )
            self._draw_person(frame, phase)
        if self.scenario == "close" and self._span(t):
            self._draw_close(frame, t)
        night = self.scenario in ("insects", "noise") or (self.scenario == "light_switch" and self._span(t))
        sigma = 8.0 if self.scenario == "noise" else 4.0 if night else 2.0
        image: np.ndarray = frame.astype(np.float32)
        if night:  # IR mode: grey, darker, flatter
            image = np.repeat(image.mean(axis=2, keepdims=True), 3, axis=2) * 0.45 + 10
        if self.scenario == "drift":
            image = image * (1.0 + 0.3 * np.sin(2 * np.pi * t / self.timing.cycle_s))
        if self.scenario == "insects":
            self._draw_insects(image, index)
        image += rng.normal(0.0, sigma, image.shape).astype(np.float32)
        out: Pixels = np.clip(image, 0, 255).astype(np.uint8)
        return out

    def _draw_background(self) -> Pixels:
        w, h = self.width, self.height
        img = np.zeros((h, w, 3), np.uint8)
        img[: h * 3 // 5] = (70, 80, 90)  # wall
        img[h * 3 // 5 :] = (50, 60, 75)  # floor
        cv2.rectangle(img, (w // 20, h // 2), (w * 2 // 5, h * 17 // 20), (120, 110, 100), -1)  # bed
        cv2.rectangle(img, (w // 20, h * 9 // 20), (w // 8, h // 2), (150, 150, 150), -1)  # pillow
        cv2.rectangle(img, (w * 3 // 4, h // 5), (w * 9 // 10, h * 3 // 5), (40, 50, 60), -1)  # door
        return img

    def _draw_person(self, img: Pixels, phase: float) -> None:
        w, h = self.width, self.height
        cx = int(w * (0.95 - 0.8 * phase))
        feet = int(h * 0.9)
        body_h = int(h * 0.45)
        step = int(np.sin(phase * 40) * w * 0.015)
        colour = (60, 90, 160)
        cv2.circle(img, (cx, feet - body_h), max(4, body_h // 9), (120, 150, 190), -1)  # head
        cv2.ellipse(img, (cx, feet - body_h * 3 // 5), (body_h // 8, body_h // 4), 0, 0, 360, colour, -1)
        cv2.line(img, (cx, feet - body_h // 3), (cx - step, feet), colour, max(2, body_h // 20))
        cv2.line(img, (cx, feet - body_h // 3), (cx + step, feet), colour, max(2, body_h // 20))

    def _draw_close(self, img: Pixels, t: float) -> None:
        """A torso right in front of the lens, covering most of the view and swaying."""
        w, h = self.width, self.height
        start, end = _EVENTS_AT["close"]
        phase = (t % self.timing.cycle_s - start) / (end - start)
        cx = int(w * (0.3 + 0.4 * phase + 0.05 * np.sin(phase * 30)))
        cv2.ellipse(img, (cx, int(h * 0.75)), (int(w * 0.33), int(h * 0.6)), 0, 0, 360, (30, 40, 70), -1)
        cv2.rectangle(img, (cx - w // 20, int(h * 0.3)), (cx + w // 20, int(h * 0.9)), (90, 100, 140), -1)

    def _draw_insects(self, image: np.ndarray, index: int) -> None:
        """Moths near an IR lamp: bright, out-of-focus blobs crossing the view within 2-5 frames."""
        w, h = self.width, self.height
        burst = index // 7  # a new insect every 7 frames, visible for its first 2-5 frames
        rng = np.random.default_rng(10_000 + burst)
        life = int(rng.integers(2, 6))
        age = index % 7
        if age >= life:
            return
        x0, y0 = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
        angle = rng.uniform(0, 2 * np.pi)
        speed = rng.uniform(0.06, 0.15) * w  # per frame: fast, close to the lens
        radius = max(3, int(rng.uniform(0.008, 0.02) * w))
        x, y = int(x0 + np.cos(angle) * speed * age), int(y0 + np.sin(angle) * speed * age)
        cv2.circle(image, (x, y), radius, (235.0, 235.0, 235.0), -1)
