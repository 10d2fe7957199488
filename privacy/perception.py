"""Perception on raw frames: the pose model, with the box detector as a second opinion, merged into people.

MoveNet MultiPose (`privacy.pose`) sees people lying, sitting and falling where box detectors do not, but finds
at most six and misses small, distant ones (on vtest's street it found 57 % of NanoDet's pedestrians). NanoDet
(`privacy.detector`) is the opposite. So every `box_every`-th perception run also runs NanoDet on the same raw
frame (every run in a dark or grey picture, where the pose model is weakest), and its boxes that no pose person
explains are added as people without keypoints; a box that a pose person explains lends that person its score when
surer. While the last box run found a person the pose model did not
(a crowd, someone small and far away, someone the pose model loses), NanoDet runs on every run: the pose model
alone would lose them between box runs. Where the pose model sees everyone (a bedroom), every other run is
enough, and a run costs ~13 ms less.
"""

from __future__ import annotations

import functools
import time
from dataclasses import replace

import cv2
import numpy as np

from privacy.detector import PERSON, DetectorError, NanoDetDetector
from privacy.detector.nanodet import DEFAULT_MODEL
from privacy.errors import PoseModelError
from privacy.frames import Pixels
from privacy.observations import Box, Perception, PersonObservation
from privacy.pose import PoseModel, shared_pose_model

BOX_SCORE = 0.3
"""Box detections handed on from NanoDet (the tracker starts a track only from surer or repeated ones)."""
SURE_BOX = 0.5
"""A box this sure that no pose person explains makes the box detector run on every look."""
EXPLAIN_SCORE = 0.25
"""A pose person scoring this can stand for a box detection (weaker ones are often not people)."""
EXPLAINED = 0.6
"""A box overlapping a pose person's box this much (IoU), or lying inside it and of a like size, is that person."""


GREY_THUMB = (32, 24)
GREY_SPREAD = 3.0
"""Mean channel difference (0-255) under which a picture counts as grey; a dim colour room measures 5-20."""


class Perceiver:
    """Pose model plus optional box detector; called from one thread (the pipeline's)."""

    def __init__(self, pose: PoseModel, boxes: NanoDetDetector | None = None, *, box_every: int = 2) -> None:
        if box_every < 1:
            raise ValueError(f"box_every must be at least 1, got {box_every!r}")
        self.pose = pose
        self.boxes = boxes
        self.box_every = box_every
        self.runs = 0
        self.box_runs = 0
        self._boxes_needed = False
        """The last box run found a sure person the pose model did not explain."""

    def perceive(self, bgr: Pixels, index: int = 0) -> Perception:
        """People in one raw BGR frame; raises `PoseModelError` or `DetectorError` (both `PrivacyError`)."""
        start = time.perf_counter()
        seen = self.pose.perceive(bgr)
        people = list(seen.people)
        if self.boxes is not None and (self._boxes_needed or self.runs % self.box_every == 0 or seen.enhanced
                                       or is_grey(bgr)):
            self._boxes_needed = False
            self.box_runs += 1
            h, w = bgr.shape[:2]
            # The raw frame as it is, also when dark: measured on 135 frames of 14 clips darkened to ~30 % with
            # noise, NanoDet found someone in 105 as they were, 84 after gamma 0.5, 91-94 after smoothing first;
            # on IR-like grey frames 105 against 73 (the pose model is the one that gains from gamma).
            for d in self.boxes.detect_pixels(bgr, index, 0.0).of_class(PERSON):
                box = (d.x1 / w, d.y1 / h, d.x2 / w, d.y2 / h)
                match = next((i for i, p in enumerate(people) if p.keypoints and p.score >= EXPLAIN_SCORE
                              and _covered(box, p.box)), None)
                if match is None:
                    people.append(PersonObservation(box, d.score))
                    self._boxes_needed |= d.score >= SURE_BOX
                elif d.score > people[match].score:  # one person seen twice: the pose, at the surer score
                    people[match] = replace(people[match], score=d.score)
        self.runs += 1
        return Perception(tuple(people), seen.enhanced, seen.luma, (time.perf_counter() - start) * 1000)


def is_grey(bgr: Pixels) -> bool:
    """A picture without colour: an IR night camera's. The pose model hardly sees people in it (6 of 108 frames of
    people down in the Le2i room made IR-like, against 81 in colour), so there the box detector runs on every look."""
    thumb = cv2.resize(bgr, GREY_THUMB, interpolation=cv2.INTER_AREA).astype(np.int16)
    spread = np.abs(thumb[:, :, 0] - thumb[:, :, 1]).mean() + np.abs(thumb[:, :, 1] - thumb[:, :, 2]).mean()
    return bool(spread < GREY_SPREAD)


def _covered(box: Box, by: Box) -> bool:
    """Not merely inside: in a crowd one pose box may span several people, whose own boxes must stay."""
    inter = max(0.0, min(box[2], by[2]) - max(box[0], by[0])) * max(0.0, min(box[3], by[3]) - max(box[1], by[1]))
    area = max(1e-9, (box[2] - box[0]) * (box[3] - box[1]))
    other = max(1e-9, (by[2] - by[0]) * (by[3] - by[1]))
    iou = inter / (area + other - inter)
    return iou >= EXPLAINED or (inter >= 0.8 * area and area >= 0.5 * other)


@functools.cache
def shared_perceiver(threads: int = 2) -> Perceiver:
    """The process's perceiver with the committed models (ONNX Runtime sessions are safe to share)."""
    return Perceiver(shared_pose_model(threads=threads), box_detector(threads))


@functools.cache
def box_detector(threads: int = 2) -> NanoDetDetector:
    """The committed int8 NanoDet, returning boxes from `BOX_SCORE`; raises `DetectorError` when it will not load."""
    return NanoDetDetector(DEFAULT_MODEL, threads=threads, score_threshold=BOX_SCORE)


__all__ = ["BOX_SCORE", "DetectorError", "Perceiver", "PoseModelError", "box_detector", "shared_perceiver"]
