"""NanoDet-g person boxes on ONNX Runtime: perception's second opinion beside the pose model (`privacy.perception`).

It runs on raw frames inside `privacy` (the pose model misses small, distant people and finds at most six; the
box detector is cheap and sees crowds). The benchmarks also run it on private frames to measure what the filter
costs. Any `DetectorError` from loading or running it is a `PrivacyError`.
"""

from __future__ import annotations

from privacy.detector.base import (
    PERSON,
    Detection,
    DetectionResult,
    DetectorError,
    InferenceError,
    ModelFormatError,
    ModelLoadError,
)
from privacy.detector.nanodet import DEFAULT_MODEL, NanoDetDetector

__all__ = [
    "DEFAULT_MODEL",
    "PERSON",
    "Detection",
    "DetectionResult",
    "DetectorError",
    "InferenceError",
    "ModelFormatError",
    "ModelLoadError",
    "NanoDetDetector",
]
