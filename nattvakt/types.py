"""Shared aliases of the vocabulary every part speaks: what staff may see, and what someone wants the camera to do."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

PrivacyLevel = Literal["faces_hidden", "heavy_blur", "pixelate", "silhouette"]
"""What staff see of a room: the consent's level and the outgoing frame's level are one and the same."""
PRIVACY_LEVELS: tuple[PrivacyLevel, ...] = ("faces_hidden", "heavy_blur", "pixelate", "silhouette")
"""Ordered from weakest (shows most) to strongest (shows least)."""


class Action(StrEnum):
    """What someone wants the camera to do."""

    SCHEDULED_LOOKIN = "scheduled_lookin"
    EVENT_LOOKIN = "event_lookin"
    DETECTION = "detection"
