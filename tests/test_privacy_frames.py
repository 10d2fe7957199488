from __future__ import annotations

import numpy as np
import pytest

from camera_node.synthetic import SyntheticScene
from nattvakt.types import PRIVACY_LEVELS
from privacy import OutgoingFrame, PrivateFrame, RawFrame, make_outgoing, make_private
from privacy.levels import outgoing_size


def _raw() -> RawFrame:
    return RawFrame(SyntheticScene(320, 240).render(50), index=50, captured_at=0.0)


def test_raw_pixels_are_not_readable_outside_privacy() -> None:
    raw = _raw()
    assert not hasattr(raw, "pixels")
    with pytest.raises(PermissionError):
        raw._unseal(object())  # type: ignore[arg-type]
    assert "RawFrame(index=50" in repr(raw)


def test_private_frames_cannot_be_forged_from_an_array() -> None:
    pixels = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(PermissionError):
        PrivateFrame(pixels, 0, 0.0)
    with pytest.raises(PermissionError):
        OutgoingFrame(pixels, 0, 0.0, "pixelate")


def test_private_frame_is_blurred_and_read_only() -> None:
    raw = _raw()
    private = make_private(raw)
    assert private.shape == raw.shape
    assert not private.pixels.flags.writeable
    # Blur lowers local contrast: the high-frequency energy drops.
    sharp = np.abs(np.diff(SyntheticScene(320, 240).render(50).astype(int), axis=1)).mean()
    soft = np.abs(np.diff(private.pixels.astype(int), axis=1)).mean()
    assert soft < sharp * 0.6


@pytest.mark.parametrize("level", PRIVACY_LEVELS)
def test_outgoing_levels_are_made_at_their_size_and_lose_detail(level: str) -> None:
    raw = _raw()
    out = make_outgoing(raw, level)  # type: ignore[arg-type]
    assert out.shape == outgoing_size(level, raw.shape) and out.source_shape == raw.shape  # type: ignore[arg-type]
    assert out.level == level
    assert len(np.unique(out.pixels.reshape(-1, 3), axis=0)) < 2000


def test_outgoing_size_is_the_level_s_width_never_wider_than_the_camera() -> None:
    assert outgoing_size("pixelate", (480, 640)) == (120, 160)  # 40 cells of 4 px: one cell per VP8 4x4 block
    assert outgoing_size("heavy_blur", (480, 640)) == (72, 96)
    assert outgoing_size("faces_hidden", (1080, 1920)) == (180, 320)
    assert outgoing_size("silhouette", (100, 131)) == (100, 130), "never wider than the camera; even sides"
    assert all(outgoing_size(level, (480, 640))[1] <= 320 for level in PRIVACY_LEVELS)


def test_unknown_level_is_rejected_with_allowed_values() -> None:
    with pytest.raises(ValueError, match="allowed: faces_hidden, heavy_blur, pixelate, silhouette"):
        make_outgoing(_raw(), "none")  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(0, 10, 3), (10, 10), (10, 10, 4)])
def test_malformed_raw_frames_are_rejected(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        RawFrame(np.zeros(shape, np.uint8), index=0, captured_at=0.0)


def test_non_uint8_raw_frames_are_rejected() -> None:
    with pytest.raises(TypeError):
        RawFrame(np.zeros((4, 4, 3), np.float32), index=0, captured_at=0.0)
