"""Where each person's head is, from pose keypoints, in any orientation: pure geometry in pixels.

A frontal face detector misses heads that lie, are upside-down, face away or are in mid-fall (MODELS.md: 45 % of
lying heads); pose keypoints find them. The head is centred on the face keypoints (nose, eyes, ears) that the model
is sure enough of; when it sees none, on the head end of the torso (beyond the shoulders, away from the hips), which
holds lying, face-down and seen-from-behind. Its size is the largest of several body cues, capped by the body, and
the region is drawn generously: hiding a little more costs little, a visible face costs trust.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from privacy.observations import FACE, HIPS, SHOULDERS, Keypoint, PersonObservation

PixelBox = tuple[float, float, float, float]
"""x1, y1, x2, y2 in frame pixels (not yet clipped)."""


@dataclass(frozen=True, slots=True)
class HeadPolicy:
    least: float = 0.15
    """Keypoint score that counts as seen (lying people's keypoints score low; a wrong guess only hides more)."""
    side: float = 1.9
    """Hidden square side as a multiple of the estimated head size (1.6 left 2 of 70 hand-labelled heads, a face-down
    one and one mid-fall, 65-80 % hidden: the estimate runs small when the face keypoints bunch together)."""
    body_share: float = 1 / 5.5
    """Head size from the person box's longer side (a body is ~7 heads long; generous)."""
    min_px: float = 12.0


def head_region(person: PersonObservation, shape: tuple[int, int], policy: HeadPolicy = HeadPolicy()) -> list[PixelBox]:
    """The region(s) to hide for one person's head; several when the head end of a keypoint-less body is unknown."""
    h, w = shape
    x1, y1, x2, y2 = person.box[0] * w, person.box[1] * h, person.box[2] * w, person.box[3] * h
    body = max(x2 - x1, y2 - y1)
    face = [_px(k, shape) for k in person.points(FACE, policy.least)]
    shoulders = [_px(k, shape) for k in person.points(SHOULDERS, policy.least)]
    hips = [_px(k, shape) for k in person.points(HIPS, policy.least)]
    size = max(policy.min_px, body * policy.body_share)
    if len(face) >= 2:
        size = max(size, _spread(face) * 2.0)
    if shoulders and hips:
        size = max(size, _dist(_mean(shoulders), _mean(hips)) * 0.55)
    if len(shoulders) == 2:
        size = max(size, _dist(shoulders[0], shoulders[1]) * 0.75)
    size = min(size, max(policy.min_px, body * 0.6))
    if face:
        centre = _mean(face)
    elif shoulders:
        top = _mean(shoulders)
        if hips:
            bottom = _mean(hips)
            length = max(1e-6, _dist(top, bottom))
            centre = (top[0] + (top[0] - bottom[0]) / length * size * 0.6,
                      top[1] + (top[1] - bottom[1]) / length * size * 0.6)
        else:
            centre = (top[0], top[1] - size * 0.6)
    else:
        return _box_ends((x1, y1, x2, y2), size * policy.side)
    half = size * policy.side / 2
    return [(centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half)]


def _box_ends(box: PixelBox, side: float) -> list[PixelBox]:
    """No keypoint to tell which end is the head: an upright box's top, or both ends of a lying one."""
    x1, y1, x2, y2 = box
    if y2 - y1 >= x2 - x1:
        cx = (x1 + x2) / 2
        return [(cx - side / 2, y1 - side * 0.15, cx + side / 2, y1 + side * 0.85)]
    cy = (y1 + y2) / 2
    return [(x1 - side * 0.15, cy - side / 2, x1 + side * 0.85, cy + side / 2),
            (x2 - side * 0.85, cy - side / 2, x2 + side * 0.15, cy + side / 2)]


def _px(point: Keypoint, shape: tuple[int, int]) -> tuple[float, float]:
    return (point.x * shape[1], point.y * shape[0])


def _mean(points: list[tuple[float, float]]) -> tuple[float, float]:
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def _dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _spread(points: list[tuple[float, float]]) -> float:
    return max(_dist(a, b) for a in points for b in points)
