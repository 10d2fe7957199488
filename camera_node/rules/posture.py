"""What one tracked person is doing in one frame, as pure functions of its box, its recent past and the zones.

Posture cues are the box shape (a lying person's box is wider than high) and where the box is: its bottom on
the floor zone and not in the bed. "Still" allows some writhing: a fallen person is rarely motionless.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from camera_node.rules.geometry import Box
from camera_node.rules.zones import RoomZones


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


def observe(
    box: Box, history: Iterable[tuple[float, Box]], now: float, view_aspect: float, zones: RoomZones,
    config: PostureConfig,
) -> Observation:
    bed = zones.bed_holding(box, config.bed_share)
    floor = None if bed is not None else zones.floor_under(box)
    return Observation(
        lying=pixel_aspect(box, view_aspect) >= config.lying_aspect,
        still=is_still(box, history, now, view_aspect, config),
        floor_zone=floor.name if floor is not None else None,
        bed_zone=bed.name if bed is not None else None,
    )
