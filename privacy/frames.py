"""Frame types that make the privacy boundary visible to the type checker.

`RawFrame` is what a camera produced; only `privacy` reads its pixels. `PrivateFrame`
(what motion and detection see) and `OutgoingFrame` (what may leave the process) can
only be made by `privacy.filters`: their constructors demand a seal that module holds.
No downstream API takes a plain array, so passing raw pixels on is a type error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from privacy.observations import Perception

Pixels = npt.NDArray[np.uint8]


class _Seal:
    """Proof that a frame was made by `privacy.filters`."""

    __slots__ = ()


_SEAL = _Seal()


def _frozen(pixels: Pixels) -> Pixels:
    view = pixels.view()
    view.flags.writeable = False
    return view


class RawFrame:
    """A frame straight from the camera; its pixels are readable only inside `privacy`."""

    __slots__ = ("__pixels", "captured_at", "index")

    def __init__(self, pixels: Pixels, *, index: int, captured_at: float) -> None:
        if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8:
            raise TypeError(f"raw frame must be a uint8 array, got {type(pixels).__name__}")
        if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.shape[0] == 0 or pixels.shape[1] == 0:
            raise ValueError(f"raw frame must be HxWx3 BGR, got shape {pixels.shape!r}")
        self.__pixels = pixels
        self.index = index
        self.captured_at = captured_at

    @property
    def shape(self) -> tuple[int, int]:
        """Height and width; size alone identifies no one."""
        h, w = self.__pixels.shape[:2]
        return (h, w)

    def __repr__(self) -> str:
        return f"RawFrame(index={self.index}, shape={self.shape})"

    def _unseal(self, seal: _Seal) -> Pixels:
        if seal is not _SEAL:
            raise PermissionError("raw pixels are readable only by privacy.filters")
        return self.__pixels


@dataclass(frozen=True, slots=True)
class PrivateFrame:
    """Heads and faces hidden, light blur, plus what perception saw in the raw frame (boxes and keypoints only)."""

    pixels: Pixels = field(repr=False)
    index: int
    captured_at: float
    face_boxes: tuple[tuple[int, int, int, int], ...] = ()
    """Boxes (x, y, w, h) the filter hid (faces and heads), in this frame's pixels; they identify no one."""
    source_crc: int = 0
    """Checksum of sampled raw pixels: equal in two frames only when the camera repeats itself (frozen)."""
    perception: Perception | None = None
    """People the pose model found in the raw frame, when perception ran on this frame (else None)."""
    perception_error: str | None = None
    """Why perception was asked for on this frame and failed (the node degrades to motion-only rules)."""
    _seal: _Seal = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            raise PermissionError("a PrivateFrame can only be made by privacy.filters")
        object.__setattr__(self, "pixels", _frozen(self.pixels))

    @property
    def shape(self) -> tuple[int, int]:
        h, w = self.pixels.shape[:2]
        return (h, w)


@dataclass(frozen=True, slots=True)
class OutgoingFrame:
    """The stronger tier for anything that leaves the process (stream, snapshot, disk, log)."""

    pixels: Pixels = field(repr=False)
    index: int
    captured_at: float
    level: str
    """Privacy level the frame was made at (as consent set it)."""
    hidden_boxes: tuple[tuple[int, int, int, int], ...] = ()
    """Head boxes (x, y, w, h) the filter hid before applying the level, in the camera frame's pixels."""
    source_shape: tuple[int, int] = (0, 0)
    """(height, width) of the camera frame it was made from: the level's size (`privacy.levels`) is often smaller,
    and a viewer scales the picture up to this."""
    _seal: _Seal = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            raise PermissionError("an OutgoingFrame can only be made by privacy.filters")
        object.__setattr__(self, "pixels", _frozen(self.pixels))

    @property
    def shape(self) -> tuple[int, int]:
        h, w = self.pixels.shape[:2]
        return (h, w)
