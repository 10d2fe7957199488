"""What perception hands on from a raw frame: people as boxes and pose keypoints, which identify no one.

These are the only things computed from raw pixels that leave `privacy` besides the private and outgoing frames:
coordinates and scores, as fractions (0-1) of the view, never pixels. The care rules read posture from them and
the filters hide heads with them.
"""

from __future__ import annotations

from dataclasses import dataclass

KEYPOINT_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
"""COCO's 17 keypoints, in MoveNet's order."""
FACE = (0, 1, 2, 3, 4)
SHOULDERS = (5, 6)
HIPS = (11, 12)

Box = tuple[float, float, float, float]
"""x1, y1, x2, y2 as fractions of the view's width and height."""


@dataclass(frozen=True, slots=True)
class Keypoint:
    x: float
    """Fraction of the view's width."""
    y: float
    """Fraction of the view's height."""
    score: float


@dataclass(frozen=True, slots=True)
class PersonObservation:
    """One person the pose model found in one frame."""

    box: Box
    score: float
    keypoints: tuple[Keypoint, ...] = ()
    """The 17 COCO keypoints in `KEYPOINT_NAMES` order, or empty when only a box is known."""

    def points(self, indices: tuple[int, ...], least: float) -> list[Keypoint]:
        """The keypoints at `indices` scoring at least `least`."""
        if not self.keypoints:
            return []
        return [self.keypoints[i] for i in indices if self.keypoints[i].score >= least]


@dataclass(frozen=True, slots=True)
class Perception:
    """Everything perception saw in one raw frame."""

    people: tuple[PersonObservation, ...]
    enhanced: bool
    """The picture was dark and was brightened for the model (gamma) before it looked."""
    luma: float
    """Mean luma 0-255 of the frame as the model's input saw it before enhancement."""
    inference_ms: float
