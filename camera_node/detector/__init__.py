"""Person detection on private frames: interface in `base`, NanoDet on ONNX Runtime in `nanodet`.

The node builds its detector with `create_detector(settings.node)`; any `DetectorError` from it (or
from `detect`) means detection is degraded: keep running on motion-only rules and raise `detector_fault`.
"""

from __future__ import annotations

from camera_node.detector.base import (
    PERSON,
    Detection,
    DetectionResult,
    Detector,
    DetectorError,
    InferenceError,
    ModelFormatError,
    ModelLoadError,
)
from camera_node.detector.gate import DetectionGate
from camera_node.detector.nanodet import DEFAULT_MODEL, NanoDetDetector
from nattvakt.settings import NodeSettings

__all__ = [
    "DEFAULT_MODEL",
    "PERSON",
    "Detection",
    "DetectionGate",
    "DetectionResult",
    "Detector",
    "DetectorError",
    "InferenceError",
    "ModelFormatError",
    "ModelLoadError",
    "NanoDetDetector",
    "create_detector",
]


def create_detector(node: NodeSettings, *, score_threshold: float | None = None) -> Detector:
    """The detector the node's settings ask for; raises a `DetectorError` subclass when it cannot be loaded.

    `score_threshold`: the lowest score returned (default: the node's threshold for a new person).
    """
    return NanoDetDetector(
        node.detector_model or DEFAULT_MODEL,
        threads=node.detector_threads,
        score_threshold=node.detector_score_threshold if score_threshold is None else score_threshold,
        expected_sha256=node.detector_model_sha256,
    )
