"""What each privacy level looks like, for the consent editor: a bundled example room (a frame of the synthetic
bedroom, `camera_node.synthetic`, so no real person) made into an outgoing frame at every level by the real filter
(`privacy.filters`), once per process. The pictures are data URIs; nothing is stored or fetched."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from nattvakt.types import PRIVACY_LEVELS, PrivacyLevel
from privacy.filters import PrivacyFilter
from privacy.frames import RawFrame

SAMPLE = Path(__file__).parent / "sample_room.jpg"


@lru_cache(maxsize=1)
def level_samples() -> dict[PrivacyLevel, str]:
    """Privacy level -> a JPEG data URI of the example room at that level."""
    decoded = cv2.imdecode(np.frombuffer(SAMPLE.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        return {}
    raw = RawFrame(np.asarray(decoded, dtype=np.uint8), index=0, captured_at=0.0)
    # no pose model in central: heads are hidden by the face detector here, as on a node with perception off
    frames = PrivacyFilter(perception=False).make_outgoing_levels(raw, PRIVACY_LEVELS)
    uris: dict[PrivacyLevel, str] = {}
    for level, frame in frames.items():
        ok, encoded = cv2.imencode(".jpg", np.ascontiguousarray(frame.pixels), [cv2.IMWRITE_JPEG_QUALITY, 80])
        if ok:
            uris[level] = "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")
    return uris
