"""How large an outgoing frame is at each privacy level: no larger than the information the level leaves.

A level's transform throws detail away (a 40-cell mosaic, a σ3 blur); pixels beyond what it keeps cost the node's
CPU to make and encode, and the network to carry, and show nothing more. The outgoing frame is made at the size
below and the viewer scales it up (the console's video element fills its box). Measured on 640x480 footage: VP8
costs 3-4 ms a frame at 640x480 and 0.3-1.3 ms at these sizes.
"""

from __future__ import annotations

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
