"""How large an outgoing frame is at each privacy level: no larger than the information the level leaves.

A level's transform throws detail away (a 40-cell mosaic, a σ3 blur); pixels beyond what it keeps cost the node's
CPU to make and encode, and the network to carry, and show nothing more. The outgoing frame is made at the size
below and the viewer scales it up (the console's video element fills its box). Measured on 640x480 footage: VP8
costs 3-4 ms a frame at 640x480 and 0.3-1.3 ms at these sizes.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType

from nattvakt.types import PrivacyLevel

PIXELATE_CELLS = 40
"""`pixelate`: the whole frame as a mosaic this many cells across."""
HEAVY_BLUR_CELLS = 24
"""`heavy_blur`: a strong blur, then a mosaic this many cells across."""
PIXELS_PER_CELL = 4
"""A mosaic level is sent at this many pixels per cell: VP8's 4x4 transform blocks then hold one flat cell each."""

OUTGOING_WIDTH: MappingProxyType[PrivacyLevel, int] = MappingProxyType({
    "faces_hidden": 320,  # a σ3 blur at 640 px keeps nothing finer than ~6 px: half the width loses nothing seen
    "heavy_blur": HEAVY_BLUR_CELLS * PIXELS_PER_CELL,
    "pixelate": PIXELATE_CELLS * PIXELS_PER_CELL,
    "silhouette": 320,  # edges of a 48-cell mosaic
})
"""Widest outgoing frame per level, in pixels; never wider than the camera's frame."""


def outgoing_size(level: PrivacyLevel, shape: tuple[int, int]) -> tuple[int, int]:
    """(height, width) of an outgoing frame at `level` from a camera frame of `shape` (height, width): the level's
    width, or the camera's when that is smaller, the camera's aspect ratio, even sides (the codec's 4:2:0)."""
    height, width = shape
    out_w = min(width, OUTGOING_WIDTH[level])
    out_h = round(height * out_w / width)
    return max(2, out_h - out_h % 2), max(2, out_w - out_w % 2)


SEARCH_WIDTH: MappingProxyType[PrivacyLevel, int] = MappingProxyType({
    "faces_hidden": 480,  # the σ3 blur alone leaves a face CenterFace finds in half the frames: find small ones too
    "heavy_blur": 320,
    "pixelate": 320,
    "silhouette": 320,
})
"""Width the outgoing head search's face detector sees (on every outgoing frame), per level: what it must find is
what could still show. heavy_blur, pixelate and silhouette leave no face even with no head hidden at all (CenterFace
at 640 and 960 px, score 0.5, on the frame as shown: none in 92 GMDCSA24 frames with a face, where faces_hidden's
blur alone left one in 49; 2026-12-03), so their search is defence in depth, and 320 px (7 ms a frame here against
16 ms at 480) still finds every face wider than about 20 px of a 640 px frame, a cell or so of theirs."""


def search_width(levels: Iterable[PrivacyLevel]) -> int:
    """The outgoing head search's width for frames made at `levels` together: the widest any of them needs."""
    return max(SEARCH_WIDTH[level] for level in levels)
