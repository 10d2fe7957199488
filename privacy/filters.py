"""The privacy filter: the only code that reads raw pixels.

From each raw frame it makes (a) when the caller asks for it, **perception**: the pose model (`privacy.pose`) on
the raw frame, handed on as boxes and keypoints only; (b) the private tier that motion sees: heads (from keypoints,
`privacy.heads`) and faces (CenterFace at ~320 px) mosaicked, boxes held across frames, then a light σ2 blur; and
(c) only when something must leave the process, the outgoing tier: every head found from this frame's keypoints,
from faces at a higher resolution, from the previous frame (a head that moves fast is hidden along its path) and
from held boxes, then the stronger level consent sets, made at the size that level needs (`privacy.levels`).

The face detector is amortised to fit the budget: it runs every `idle_every` frames, and every `busy_every`
frames while the picture changes; `privacy.hold` keeps boxes in between. Perception runs when the caller (the
node's gate: motion, a tracked person due a look, an idle scan) asks, and on every outgoing frame.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import cv2
import numpy as np

from nattvakt.types import PRIVACY_LEVELS, PrivacyLevel
from privacy.errors import PrivacyError
from privacy.faces import FaceBox, FaceDetector, shared_face_detector
from privacy.frames import _SEAL, OutgoingFrame, Pixels, PrivateFrame, RawFrame
from privacy.heads import HeadPolicy, head_region
from privacy.hold import BoxHold, HoldPolicy
from privacy.levels import HEAVY_BLUR_CELLS, PIXELATE_CELLS, outgoing_size, search_width
from privacy.masking import (
    Box,
    area_resize,
    clip_box,
    fill_boxes,
    gaussian,
    mosaic_boxes,
    pixelate,
    silhouette,
    soft_blur,
    u8,
)
from privacy.observations import Perception, PersonObservation
from privacy.perception import Perceiver, shared_perceiver

PRIVATE_BLUR_SIGMA = 2.0
"""Light global blur: σ2 keeps ~.9 of person detections while erasing skin detail (MODELS.md)."""

_THUMB = (32, 24)


@dataclass(frozen=True, slots=True)
class FilterConfig:
    """How hard the filter looks for faces and how it hides them."""

    detect_width: int = 320
    """Width the private tier's face detector sees (17-20 ms at 320 px, 66+ ms at 640)."""
    threshold: float = 0.2
    """Face score that hides a box; low on purpose, a hidden non-face costs little."""
    box_scale: float = 1.5
    """Hidden box size relative to the detected face."""
    busy_every: int = 3
    """Detector period in frames while the picture changes."""
    idle_every: int = 10
    """Detector period in frames on a still picture."""
    change_level: float = 1.5
    """Mean grey-level change of a 32x24 thumbnail since the last run that counts as 'changing'."""
    hold: HoldPolicy = field(default_factory=HoldPolicy)
    blur_sigma: float = PRIVATE_BLUR_SIGMA
    head_scale: float = 2.4
    """Outgoing head box relative to the face box (hair, ears, profile)."""
    outgoing_hold: HoldPolicy = field(
        default_factory=lambda: HoldPolicy(hold_frames=10, hold_runs=3, grow_per_frame=0.02, max_grow=1.4)
    )
    heads: HeadPolicy = field(default_factory=HeadPolicy)
    head_hold: HoldPolicy = field(
        default_factory=lambda: HoldPolicy(hold_frames=10, hold_runs=2, grow_per_frame=0.03, max_grow=1.5)
    )
    """Keypoint heads in the private tier are held between perception runs, growing to cover movement."""


@dataclass(slots=True)
class FilterStats:
    frames: int = 0
    detector_runs: int = 0
    outgoing_frames: int = 0
    perception_runs: int = 0
    perception_failures: int = 0


def should_run_detector(frames_since_run: int | None, changing: bool, config: FilterConfig) -> bool:
    """Policy: run on the first frame, then every `busy_every` frames while changing, else every `idle_every`."""
    if frames_since_run is None:
        return True
    return frames_since_run >= (config.busy_every if changing else config.idle_every)


class PrivacyFilter:
    """Owns the face detector's and the heads' held boxes for one camera; one instance per pipeline.

    `perceiver`: pose model and box detector; default the process's shared one. `perception=False` builds a filter
    without it (a node whose models will not load keeps hiding faces and runs on motion-only rules).
    """

    def __init__(
        self, config: FilterConfig | None = None, detector: FaceDetector | None = None, *,
        perceiver: Perceiver | None = None, perception: bool = True,
    ) -> None:
        self.config = config or FilterConfig()
        self.stats = FilterStats()
        self._detector = detector or shared_face_detector()
        self._perceiver = (perceiver or shared_perceiver()) if perception else None
        self._hold = BoxHold(self.config.hold)
        self._head_hold = BoxHold(self.config.head_hold)
        self._outgoing_hold = BoxHold(self.config.outgoing_hold)
        self._outgoing_head_hold = BoxHold(self.config.head_hold)
        self._last_run: int | None = None
        self._thumb_at_run: Pixels | None = None
        self._shape: tuple[int, int] | None = None
        self._perceived: tuple[int, Perception] | None = None
        """The last perception, by raw frame index: an outgoing frame of the same raw frame reuses it."""
        self._previous_heads: list[FaceBox] = []

    @property
    def perceives(self) -> bool:
        """True when this filter has a pose model (perception can be asked for)."""
        return self._perceiver is not None

    def make_private(self, raw: RawFrame, *, motion_hint: bool = False, perceive: bool = False) -> PrivateFrame:
        """Private tier for motion; `motion_hint` (last frame's motion) may force a face run; `perceive` runs the
        pose model on this raw frame and hands its observations on with the private frame."""
        pixels = raw._unseal(_SEAL)
        frame_no = self.stats.frames
        self.stats.frames += 1
        self._follow_shape(raw.shape)
        # Sampled, then averaged: an area resize of the full frame costs 0.4 ms, this 0.05 ms.
        sampled = cv2.resize(pixels, (_THUMB[0] * 4, _THUMB[1] * 4), interpolation=cv2.INTER_NEAREST)
        thumb = u8(cv2.cvtColor(cv2.resize(sampled, _THUMB, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY))
        changing = motion_hint or (
            self._thumb_at_run is not None
            and float(np.mean(cv2.absdiff(thumb, self._thumb_at_run))) > self.config.change_level
        )
        since = None if self._last_run is None else frame_no - self._last_run
        if should_run_detector(since, changing, self.config):
            found = self._detector.detect(pixels, self.config.detect_width, self.config.threshold)
            self._hold.observe(frame_no, found)
            self._last_run, self._thumb_at_run = frame_no, thumb
            self.stats.detector_runs += 1
        perception, error = self._perceive(raw, pixels) if perceive else (None, None)
        if perception is not None:
            self._head_hold.observe(frame_no, self._heads(perception, raw.shape))
        boxes = _to_boxes(self._hold.boxes(frame_no), self.config.box_scale, raw.shape)
        boxes += _to_boxes(self._head_hold.boxes(frame_no), 1.0, raw.shape)
        private = soft_blur(mosaic_boxes(pixels, boxes), self.config.blur_sigma)
        crc = zlib.crc32(np.ascontiguousarray(pixels[::8, ::8]).data)
        return PrivateFrame(private, raw.index, raw.captured_at, tuple(boxes), crc, perception, error, _seal=_SEAL)

    def _perceive(self, raw: RawFrame, pixels: Pixels) -> tuple[Perception | None, str | None]:
        """Run the pose model once per raw frame; a failure is reported, never raised (the watch goes on)."""
        if self._perceived is not None and self._perceived[0] == raw.index:
            return self._perceived[1], None
        if self._perceiver is None:
            return None, "perception is off: its models did not load"
        try:
            perception = self._perceiver.perceive(pixels, raw.index)
        except PrivacyError as exc:
            self.stats.perception_failures += 1
            return None, str(exc)
        self.stats.perception_runs += 1
        self._perceived = (raw.index, perception)
        return perception, None

    def last_perception(self, raw: RawFrame) -> Perception | None:
        """What perception saw in `raw`, when it ran on that frame (a private or outgoing frame of it asked)."""
        return self._perceived[1] if self._perceived is not None and self._perceived[0] == raw.index else None

    def _guessed(self, people: list[PersonObservation], shape: tuple[int, int]) -> list[FaceBox]:
        """Heads of tracked people perception did not find in this frame: where their last pose puts it, and both
        ends of the box (the head is at one of them)."""
        out = []
        for person in people:
            regions = head_region(person, shape, self.config.heads)
            if person.keypoints:
                regions += head_region(PersonObservation(person.box, person.score), shape, self.config.heads)
            out += [FaceBox(*region, person.score) for region in regions]
        return out

    def _heads(self, perception: Perception, shape: tuple[int, int]) -> list[FaceBox]:
        return [FaceBox(*region, person.score) for person in perception.people
                for region in head_region(person, shape, self.config.heads)]

    def _follow_shape(self, shape: tuple[int, int]) -> None:
        """A new frame size invalidates every held box, in both tiers."""
        if shape != self._shape:
            self._shape, self._last_run, self._thumb_at_run = shape, None, None
            self._hold.clear()
            self._head_hold.clear()
            self._outgoing_hold.clear()
            self._outgoing_head_hold.clear()
            self._previous_heads = []

    def make_outgoing(
        self, raw: RawFrame, level: PrivacyLevel, tracked: tuple[PersonObservation, ...] = ()
    ) -> OutgoingFrame:
        """Outgoing tier: heads hidden (boxes held), then the level's global transform."""
        return self.make_outgoing_levels(raw, (level,), tracked)[level]

    def make_outgoing_levels(
        self, raw: RawFrame, levels: tuple[PrivacyLevel, ...], tracked: tuple[PersonObservation, ...] = ()
    ) -> dict[PrivacyLevel, OutgoingFrame]:
        """One head search, several levels (a snapshot offered at each consented level, the leak benchmark).

        `tracked`: people the care rules follow; one whose box holds no head found in this frame gets the head
        regions of its last pose, and both ends of its box, hidden: every tracked person's head, every frame."""
        for level in levels:
            if level not in PRIVACY_LEVELS:
                raise ValueError(f"unknown outgoing privacy level {level!r}; allowed: {', '.join(PRIVACY_LEVELS)}")
        pixels = raw._unseal(_SEAL)
        self._follow_shape(raw.shape)
        frame_no = max(0, self.stats.frames - 1)
        self.stats.outgoing_frames += 1
        # The outgoing tier looks harder: every frame, at the resolution the level needs (`privacy.levels`).
        found = self._detector.detect(pixels, search_width(levels), self.config.threshold)
        self._outgoing_hold.observe(frame_no, found + self._hold.boxes(frame_no))
        boxes = _to_boxes(self._outgoing_hold.boxes(frame_no), self.config.head_scale, raw.shape, lift=0.25)
        perception, _ = self._perceive(raw, pixels)
        keypoint_heads = self._heads(perception, raw.shape) if perception is not None else []
        # This frame's heads, last frame's (the path of a fast head) and the private tier's held ones.
        out_no = self.stats.outgoing_frames
        self._outgoing_head_hold.observe(out_no, keypoint_heads)
        held = self._outgoing_head_hold.boxes(out_no)
        unseen = [p for p in tracked if not any(_inside(h, p.box, raw.shape) for h in keypoint_heads)]
        guessed = self._guessed(unseen, raw.shape)
        for head in [*held, *self._previous_heads, *self._head_hold.boxes(frame_no), *guessed]:
            box = clip_box(head.x1, head.y1, head.x2, head.y2, raw.shape[1], raw.shape[0])
            if box is not None:
                boxes.append(box)
        self._previous_heads = keypoint_heads
        heads = tuple(boxes)
        return {
            level: OutgoingFrame(
                _apply_level(pixels, list(heads), level), raw.index, raw.captured_at, level, heads, raw.shape,
                _seal=_SEAL,
            )
            for level in levels
        }


def make_private(raw: RawFrame) -> PrivateFrame:
    """One-off private frame (the detector runs on this frame); pipelines use a `PrivacyFilter`."""
    return PrivacyFilter().make_private(raw)


def make_outgoing(raw: RawFrame, level: PrivacyLevel) -> OutgoingFrame:
    """One-off outgoing frame; streams use one `PrivacyFilter` so head boxes are held."""
    return PrivacyFilter().make_outgoing(raw, level)


def _apply_level(pixels: Pixels, heads: list[Box], level: PrivacyLevel) -> Pixels:
    """Heads hidden at the camera's resolution, then the level's transform, made at the level's size
    (`privacy.levels`): the blurs run on the small picture with σ scaled to it, the same look for a fraction of
    the work."""
    size = outgoing_size(level, (pixels.shape[0], pixels.shape[1]))
    scale = size[1] / pixels.shape[1]
    if level == "faces_hidden":
        return gaussian(area_resize(mosaic_boxes(pixels, heads, cells_across=4), size), 3.0 * scale)
    if level == "heavy_blur":
        small = area_resize(mosaic_boxes(pixels, heads, cells_across=3), size)
        return pixelate(gaussian(small, 12.0 * scale), HEAVY_BLUR_CELLS)
    if level == "pixelate":
        return pixelate(mosaic_boxes(pixels, heads, cells_across=3), PIXELATE_CELLS, size)
    return silhouette(fill_boxes(pixels, heads, (0, 0, 0)), size)


def _to_boxes(faces: list[FaceBox], scale: float, shape: tuple[int, int], lift: float = 0.0) -> list[Box]:
    """Face boxes grown by `scale`, shifted up by `lift` face heights (0.25 covers the hair: a head box)."""
    h, w = shape
    boxes = []
    for face in faces:
        big = face.scaled(scale)
        up = (face.y2 - face.y1) * lift
        box = clip_box(big.x1, big.y1 - up, big.x2, big.y2 - up, w, h)
        if box is not None:
            boxes.append(box)
    return boxes


def _inside(head: FaceBox, box: tuple[float, float, float, float], shape: tuple[int, int]) -> bool:
    """The head's centre lies in `box` (fractions of the view)."""
    h, w = shape
    cx, cy = (head.x1 + head.x2) / 2 / w, (head.y1 + head.y2) / 2 / h
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]
