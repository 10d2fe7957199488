"""What the box detector hands back, and how it fails.

Exceptions (all derive from `DetectorError`, a `PrivacyError`; perception reports them and the node keeps
running on motion-only rules and raises a `detector_fault` event):

    PrivacyError
    └── DetectorError
        ├── ModelLoadError    model file missing, unreadable, not the expected bytes, or refused by the runtime
        ├── ModelFormatError  the model loads but its inputs or outputs are not the ones this detector decodes
        └── InferenceError    running the model on a frame failed
"""

from __future__ import annotations

from dataclasses import dataclass

from privacy.errors import PrivacyError

PERSON = 0
"""COCO class index of a person, the only class the node asks for today."""


class DetectorError(PrivacyError):
    """Root of the detector package: detection is unavailable or failed for this frame."""


class ModelLoadError(DetectorError):
    """The model file is missing, corrupt, has the wrong SHA-256, or the runtime refused it."""


class ModelFormatError(DetectorError):
    """The model's inputs or outputs are not the ones this detector knows how to feed and decode."""


class InferenceError(DetectorError):
    """The runtime failed while running the model on a frame."""


@dataclass(frozen=True, slots=True)
class Detection:
    """One object found in a frame."""

    x1: float
    """Left edge, in pixels of the frame that was given to the detector."""
    y1: float
    """Top edge, in frame pixels."""
    x2: float
    """Right edge, in frame pixels (exclusive)."""
    y2: float
    """Bottom edge, in frame pixels (exclusive)."""
    score: float
    """Model confidence in [0, 1]."""
    class_id: int
    """COCO class index (`PERSON` is 0)."""

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def xywh(self) -> tuple[float, float, float, float]:
        """Left, top, width, height: the form OpenCV and most trackers take."""
        return (self.x1, self.y1, self.x2 - self.x1, self.y2 - self.y1)


@dataclass(frozen=True, slots=True)
class DetectionResult:
    """Everything one detector call found in one private frame."""

    frame_index: int
    """Index of the frame the detections belong to."""
    captured_at: float
    """Capture time of that frame (as the capture stage stamped it)."""
    detections: tuple[Detection, ...]
    """Detections above the score threshold after non-maximum suppression, best first."""
    inference_ms: float
    """Wall time of preprocessing, model and decoding, for the benchmarks and the node's health line."""

    def of_class(self, class_id: int) -> tuple[Detection, ...]:
        return tuple(d for d in self.detections if d.class_id == class_id)
