"""What one tracked person is doing in one frame, as pure functions of its box, pose, recent past and the zones.

Lying: the box is wider than high, or the torso (shoulders to hips, from pose keypoints) is far from vertical.
Either cue alone fails somewhere: the torso angle when the person lies along the camera's line of sight
(foreshortened), the box when a lying person is seen end-on or partly hidden (MODELS.md) — so either counts.
On the floor: the box's bottom, or the hips, on a floor zone, and the person not in the bed. "Still" allows some
writhing: a fallen person is rarely motionless.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from camera_node.rules.zones import RoomZones
from nattvakt.geometry import Box, contains
from privacy.observations import HIPS, SHOULDERS, Keypoint


@dataclass(frozen=True, slots=True)
class PostureConfig:
    lying_aspect: float = 0.95
    """Box width/height (in pixels) at or above which a person reads as lying."""
    still_s: float = 1.0
    """Window over which stillness is judged."""
    still_share: float = 0.5
    """Still: the box centre moved less than this share of the box's longer side over `still_s`."""
    bed_share: float = 0.4
    """Share of a box inside the bed zone that puts the person in bed."""
    torso_angle: float = 60.0
    """Degrees from vertical at or above which the torso (shoulders to hips) reads as lying."""
    keypoint_score: float = 0.2
    """Least keypoint score used for the torso."""


@dataclass(frozen=True, slots=True)
class Observation:
    lying: bool
    still: bool
    floor_zone: str | None
    """Name of the floor zone under the person, when they are on the floor and not in bed."""
    bed_zone: str | None
    """Name of the bed zone the person is in."""

    @property
    def down(self) -> bool:
        """Down on the floor: lying, on the floor outside the bed, and (nearly) still."""
        return self.lying and self.still and self.floor_zone is not None


def pixel_aspect(box: Box, view_aspect: float) -> float:
    """Width/height of a box in pixels; `view_aspect` is the frame's width/height."""
    return (box[2] - box[0]) * view_aspect / max(1e-6, box[3] - box[1])


def is_still(
    box: Box, history: Iterable[tuple[float, Box]], now: float, view_aspect: float, config: PostureConfig
) -> bool:
    """Little movement *while lying*: the fall itself (a standing box becoming a lying one) is not movement.

    Movement is measured against the longer of the two boxes' sides: when a weak detection of a part (legs, a
    torso) replaces the whole, its centre shifts although the body did not move.
    """
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    side = max(box[2] - box[0], box[3] - box[1])
    for at, past in history:
        if at < now - config.still_s or pixel_aspect(past, view_aspect) < config.lying_aspect:
            continue
        limit = config.still_share * max(side, past[2] - past[0], past[3] - past[1])
        if abs((past[0] + past[2]) / 2 - cx) > limit or abs((past[1] + past[3]) / 2 - cy) > limit:
            return False
    return True


def torso(keypoints: tuple[Keypoint, ...], least: float) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Mid-shoulder and mid-hip points (view fractions) when at least one of each is seen."""
    if not keypoints:
        return None
    shoulders = [keypoints[i] for i in SHOULDERS if keypoints[i].score >= least]
    hips = [keypoints[i] for i in HIPS if keypoints[i].score >= least]
    if not shoulders or not hips:
        return None
    return (_mid(shoulders), _mid(hips))


def torso_angle(keypoints: tuple[Keypoint, ...], view_aspect: float, least: float) -> float | None:
    """Degrees of the torso from vertical, in pixels (0 standing, 90 lying across the view); None when unseen."""
    found = torso(keypoints, least)
    if found is None:
        return None
    (sx, sy), (hx, hy) = found
    dx, dy = (sx - hx) * view_aspect, sy - hy
    if math.hypot(dx, dy) < 1e-3:
        return None
    return math.degrees(math.atan2(abs(dx), abs(dy)))


def is_lying(box: Box, keypoints: tuple[Keypoint, ...], view_aspect: float, config: PostureConfig) -> bool:
    if pixel_aspect(box, view_aspect) >= config.lying_aspect:
        return True
    angle = torso_angle(keypoints, view_aspect, config.keypoint_score)
    return angle is not None and angle >= config.torso_angle


def observe(
    box: Box, keypoints: tuple[Keypoint, ...], history: Iterable[tuple[float, Box]], now: float, view_aspect: float,
    zones: RoomZones, config: PostureConfig,
) -> Observation:
    bed = zones.bed_holding(box, config.bed_share)
    floor = None if bed is not None else zones.floor_under(box)
    if bed is None and floor is None:
        found = torso(keypoints, config.keypoint_score)
        hips = found[1] if found is not None else None
        floors = zones.of_kind("floor")
        floor = next((z for z in floors if hips is not None and contains(z.polygon, hips[0], hips[1])), None)
    return Observation(
        lying=is_lying(box, keypoints, view_aspect, config),
        still=is_still(box, history, now, view_aspect, config),
        floor_zone=floor.name if floor is not None else None,
        bed_zone=bed.name if bed is not None else None,
    )


def _mid(points: list[Keypoint]) -> tuple[float, float]:
    return (sum(p.x for p in points) / len(points), sum(p.y for p in points) / len(points))
