"""Motion on private frames: background model on a small, contrast-normalised grey copy.

Per frame: area-downscale to `work_width`, grey, normalise mean and contrast (slow light
drift and camera gain vanish), background model → foreground mask, ignore-mask polygons,
a 3x3 opening (sensor noise), then persistence: a small blob must stay for `persist_frames`
frames (insects and dust near the lens flash by in one or two), while a large one counts at
once. Contours of what remains are the motion regions; the score is their share of the view.

A sudden change of most of the picture is held back for a few frames: if the picture then
settles it was the room light or the IR mode switching (`light_change`; the background is
rebuilt, no motion is reported), if it keeps changing it is someone close to the camera.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from camera_node.motion_background import BackgroundKind, Grey, Mask, make_background
from privacy.frames import PrivateFrame

Polygon = tuple[tuple[float, float], ...]
"""Corners as fractions (0-1) of the frame's width and height, so they survive a resolution change."""
Region = tuple[int, int, int, int]
"""x, y, w, h in the private frame's pixels."""
_KERNEL = np.ones((3, 3), np.uint8)


@dataclass(frozen=True, slots=True)
class MotionConfig:
    threshold: float = 0.004
    """Share of the view (outside ignore masks) that must move for the frame to count as moving."""
    work_width: int = 160
    background: BackgroundKind = "running_average"
    ignore: tuple[Polygon, ...] = ()
    """Areas never counted (a TV, a curtain)."""
    persist_frames: int = 3
    """Frames a small blob must stay before it counts."""
    big_blob: float = 0.02
    """Blobs larger than this share of the view count at once."""
    global_change: float = 0.35
    """A sudden change of more than this share of the view is held back as a possible light change."""
    settle_frames: int = 2
    """Quiet frames in a row that prove a held-back change was light, not motion."""
    unsettled_frames: int = 3
    """Busy frames in a row that prove it was motion (someone close to the camera)."""
    light_step: float = 0.25
    """A jump of mean brightness by more than this share in one frame is the light changing."""


@dataclass(frozen=True, slots=True)
class MotionResult:
    score: float
    """Share of the view (outside ignore masks) that moved, after noise and insect filtering."""
    moving: bool
    regions: tuple[Region, ...] = ()
    light_change: bool = False
    """The room light or IR mode changed on this frame; the background was rebuilt."""
    details: dict[str, float] = field(default_factory=dict, compare=False)


class MotionDetector:
    """Per-camera motion state; `update` once per private frame."""

    def __init__(self, config: MotionConfig | None = None) -> None:
        self.config = config or MotionConfig()
        self._background = make_background(self.config.background)
        self._size: tuple[int, int] | None = None
        self._active: Mask | None = None
        self._active_px = 1
        self._persist: Mask | None = None
        self._ones: Mask | None = None
        self._previous: Grey | None = None
        self._brightness = 0.0
        self._settled = 0
        self._unsettled = 0
        self.last_grey: np.ndarray | None = None
        """The small un-normalised grey picture of the last frame (for camera-fault checks)."""

    def update(self, frame: PrivateFrame) -> MotionResult:
        if not isinstance(frame, PrivateFrame):
            raise TypeError(f"motion takes a PrivateFrame from privacy.filters, got {type(frame).__name__}")
        cfg = self.config
        h, w = frame.shape
        size = (cfg.work_width, max(1, round(cfg.work_width * h / w)))
        grey_u8 = _downscale_grey(frame.pixels, size)
        self.last_grey = grey_u8
        grey, brightness = _normalise(grey_u8)
        if size != self._size:
            self._reinit(size, grey)
            self._brightness = brightness
            return MotionResult(0.0, False)
        assert self._active is not None and self._persist is not None and self._previous is not None
        previous_brightness, self._brightness = self._brightness, brightness
        if abs(brightness - previous_brightness) > cfg.light_step * max(previous_brightness, 12.0):
            # The light itself changed (switch, IR mode): rebuild the background, report no motion.
            self._rebuild(grey)
            return MotionResult(0.0, False, light_change=True, details={"brightness": brightness})
        raw_mask: Mask = np.asarray(cv2.bitwise_and(self._background.apply(grey), self._active), np.uint8)
        changed = cv2.countNonZero(raw_mask) / self._active_px
        previous, self._previous = self._previous, grey
        if self._settled or self._unsettled or changed > cfg.global_change:  # a global change is being held
            step = cv2.countNonZero(cv2.bitwise_and(_changed(grey, previous), self._active)) / self._active_px
            verdict = self._judge_global(step)
            if verdict == "light":
                self._rebuild(grey)
                return MotionResult(0.0, False, light_change=True, details={"changed": changed})
            if verdict == "wait":
                return MotionResult(0.0, False, details={"changed": changed})
        return self._regions(raw_mask, frame.shape)

    def _judge_global(self, step: float) -> str:
        """Hold a global change until the picture settles (light) or keeps changing (motion)."""
        cfg = self.config
        if step < 0.02:
            self._settled += 1
            self._unsettled = 0
        else:
            self._unsettled += 1
            self._settled = 0
        if self._settled >= cfg.settle_frames:
            self._settled = self._unsettled = 0
            return "light"
        if self._unsettled >= cfg.unsettled_frames:
            self._settled = self._unsettled = 0
            return "motion"
        return "wait"

    def _regions(self, raw_mask: Mask, shape: tuple[int, int]) -> MotionResult:
        cfg = self.config
        assert self._persist is not None
        mask = cv2.morphologyEx(raw_mask, cv2.MORPH_OPEN, _KERNEL)
        # Frames each pixel (or its neighbour) has been foreground in a row; saturating uint8 arithmetic.
        assert self._ones is not None
        self._persist = np.asarray(
            cv2.bitwise_and(cv2.add(self._persist, self._ones), cv2.dilate(mask, _KERNEL)), np.uint8
        )
        lasting = cv2.threshold(self._persist, cfg.persist_frames - 1, 255, cv2.THRESH_BINARY)[1]
        confirmed_u8 = cv2.bitwise_and(mask, lasting)
        big_px = cfg.big_blob * self._active_px
        if cv2.countNonZero(mask) >= big_px:  # only then can a blob be big enough to count at once
            count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
            big_labels = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= big_px]
            if big_labels:
                big = np.isin(labels, big_labels).astype(np.uint8) * np.uint8(255)
                confirmed_u8 = cv2.bitwise_or(confirmed_u8, big)
        score = cv2.countNonZero(confirmed_u8) / self._active_px
        regions: tuple[Region, ...] = ()
        if score > 0:
            contours, _ = cv2.findContours(
                cv2.dilate(confirmed_u8, _KERNEL, iterations=2), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
            )
            fx, fy = shape[1] / confirmed_u8.shape[1], shape[0] / confirmed_u8.shape[0]
            regions = tuple(
                (round(x * fx), round(y * fy), round(bw * fx), round(bh * fy))
                for x, y, bw, bh in (cv2.boundingRect(c) for c in contours)
            )
        return MotionResult(score, score >= cfg.threshold, regions)

    def _reinit(self, size: tuple[int, int], grey: Grey) -> None:
        """First frame, or the camera changed resolution: start over at the new size."""
        w, h = size
        self._size = size
        self._active = ignore_mask(self.config.ignore, w, h)
        self._active_px = max(1, cv2.countNonZero(self._active))
        self._persist = np.zeros((h, w), np.uint8)
        self._ones = np.ones((h, w), np.uint8)
        self._rebuild(grey)

    def _rebuild(self, grey: Grey) -> None:
        """Start the background over from this picture: nothing persists, no global change is being held."""
        assert self._persist is not None
        self._background.reset(grey)
        self._previous = grey
        self._persist[:] = 0
        self._settled = self._unsettled = 0


def ignore_mask(polygons: tuple[Polygon, ...], width: int, height: int) -> Mask:
    """255 where motion counts, 0 inside the ignore polygons."""
    active = np.full((height, width), 255, np.uint8)
    for polygon in polygons:
        points = np.array([[round(x * width), round(y * height)] for x, y in polygon], np.int32)
        cv2.fillPoly(active, [points], 0)
    return active


def _downscale_grey(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Sample to twice the work size (cheap; the private frame is already blurred), then area-average.

    A straight area resize of a 640x480 colour frame costs ~0.5 ms; this costs ~0.1 ms and
    still averages four samples per work pixel, which keeps IR noise down.
    """
    w, h = size
    if pixels.shape[1] > 2 * w:
        pixels = cv2.resize(pixels, (2 * w, 2 * h), interpolation=cv2.INTER_NEAREST)
    grey = cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)


def _normalise(grey_u8: np.ndarray) -> tuple[Grey, float]:
    """Fixed mean brightness: a global gain change (light drift, exposure, IR) leaves the picture alone.

    Gain only, not contrast: a contrast stretch would let one bright moth rescale the whole view.
    """
    mean = float(cv2.mean(grey_u8)[0])
    out: Grey = grey_u8.astype(np.float32) * np.float32(100.0 / max(mean, 12.0))
    return out, mean


def _changed(a: Grey, b: Grey, level: float = 20.0) -> Mask:
    return np.asarray(cv2.absdiff(a, b) > level, np.uint8) * np.uint8(255)
