"""NanoDet pre- and post-processing as pure numpy/OpenCV functions (no session, no state).

The model (see models/MODEL_CARD.md) takes a [1, 3, H, W] BGR image (416x416 as trained; the edge build fixes
a smaller size) normalised with the ImageNet-style mean/std below and returns, per stride 8/16/32, a score map
[1, N, 80] (already through a sigmoid) and a box map [1, N, 44]: for each of the 4 sides (left, top, right, bottom)
an 11-bin distribution whose softmax expectation, times the stride, is the distance from the
cell centre ((col + 0.5) · stride, (row + 0.5) · stride) to that side.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

INPUT_SIZE = 416
"""Side of the square input the network was trained at; a converted model may fix other multiples of 32."""
STRIDES = (8, 16, 32)
BINS = 11
NUM_CLASSES = 80
_MEAN = np.array([103.53, 116.28, 123.675], dtype=np.float32)
_INV_STD = (1.0 / np.array([57.375, 57.12, 58.395])).astype(np.float32)
_BIN_VALUES = np.arange(BINS, dtype=np.float32)

Floats = npt.NDArray[np.float32]
Pixels = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Grid:
    """Cell centres of one stride's map, in model-input pixels, in the model's row-major cell order."""

    stride: int
    cx: Floats
    cy: Floats


def make_grids(width: int, height: int) -> tuple[Grid, ...]:
    grids = []
    for stride in STRIDES:
        columns = width // stride
        rows, cols = np.divmod(np.arange(columns * (height // stride), dtype=np.float32), columns)
        cx = ((cols + 0.5) * stride).astype(np.float32)
        cy = ((rows + 0.5) * stride).astype(np.float32)
        grids.append(Grid(stride, cx, cy))
    return tuple(grids)


def letterbox_scale(frame_width: int, frame_height: int, width: int, height: int) -> float:
    """Input pixels per frame pixel when the frame is fitted into width x height without changing its shape."""
    return min(width / frame_width, height / frame_height)


def preprocess(bgr: Pixels, width: int, height: int) -> Floats:
    """Letterbox into width x height, NCHW: a 4:3 view fills a 4:3 input exactly; a portrait view is padded, not
    squashed (stretching a 9:16 view into 4:3 squeezed people 2.25x and lost them)."""
    h, w = bgr.shape[:2]
    scale = letterbox_scale(w, h, width, height)
    nw, nh = min(width, max(1, round(w * scale))), min(height, max(1, round(h * scale)))
    resized = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    # Planar first, then normalise in place: broadcasting over a trailing axis of 3 is ~10x slower in numpy.
    planes = np.zeros((3, height, width), np.float32)
    planes[:, :nh, :nw] = resized.transpose(2, 0, 1)
    planes[:, :nh, :nw] -= _MEAN[:, None, None]
    planes[:, :nh, :nw] *= _INV_STD[:, None, None]
    return planes[None]


def decode(
    scores: list[Floats],
    boxes: list[Floats],
    grids: tuple[Grid, ...],
    classes: tuple[int, ...],
    score_threshold: float,
) -> tuple[Floats, Floats, npt.NDArray[np.int32]]:
    """Candidate boxes (x1, y1, x2, y2 in model-input pixels), scores and classes above the threshold, before NMS.

    Only cells that pass the threshold are decoded, so the softmax runs on a handful of rows, not on thousands.
    """
    all_boxes, all_scores, all_classes = [], [], []
    for score_map, box_map, grid in zip(scores, boxes, grids, strict=True):
        class_scores = score_map[0][:, classes]
        cells, which = np.nonzero(class_scores >= score_threshold)
        if cells.size == 0:
            continue
        logits = box_map[0][cells].reshape(-1, 4, BINS)
        logits = logits - logits.max(axis=2, keepdims=True)
        weights = np.exp(logits)
        distances = (weights @ _BIN_VALUES) / weights.sum(axis=2) * grid.stride
        cx, cy = grid.cx[cells], grid.cy[cells]
        all_boxes.append(
            np.stack([cx - distances[:, 0], cy - distances[:, 1], cx + distances[:, 2], cy + distances[:, 3]], axis=1)
        )
        all_scores.append(class_scores[cells, which])
        all_classes.append(np.asarray(classes, dtype=np.int32)[which])
    if not all_boxes:
        return np.empty((0, 4), np.float32), np.empty(0, np.float32), np.empty(0, np.int32)
    return (
        np.concatenate(all_boxes).astype(np.float32),
        np.concatenate(all_scores).astype(np.float32),
        np.concatenate(all_classes),
    )


def suppress(
    boxes: Floats, scores: Floats, classes: npt.NDArray[np.int32], score_threshold: float, iou_threshold: float
) -> npt.NDArray[np.intp]:
    """Indices kept by OpenCV's per-class non-maximum suppression, best score first."""
    if scores.size == 0:
        return np.empty(0, np.intp)
    xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)
    keep = cv2.dnn.NMSBoxesBatched(
        xywh.tolist(), scores.tolist(), classes.tolist(), score_threshold, iou_threshold
    )
    kept = np.asarray(keep, dtype=np.intp).reshape(-1)
    return kept[np.argsort(-scores[kept], kind="stable")]
