"""NanoDet-g person detector on ONNX Runtime, tuned for a 2-core edge box.

The model file is checked before it is parsed: its SHA-256 must be the one recorded for it
(the committed files' sums are below and in models/MODEL_CARD.md), so a truncated copy or a
different model is refused with a `ModelLoadError` instead of silently finding nothing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from privacy.detector import _nanodet_decode as nd
from privacy.detector.base import (
    PERSON,
    Detection,
    DetectionResult,
    InferenceError,
    ModelFormatError,
    ModelLoadError,
)
from privacy.frames import PrivateFrame

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
DEFAULT_MODEL = MODELS_DIR / "nanodet-g.int8.onnx"
KNOWN_SHA256 = {
    "nanodet-g.onnx": "3d95234e8af41f926ad2e1e734d30b7541cfe7010dfddd50268e884b1af39338",
    "nanodet-g.int8.onnx": "2be1f37bd985c8bb7e657c6f50ef6ce4927f857c83ce15988737eb28d4615428",
}
"""Sums of the committed models (also checked by models/build_nanodet.sh after a rebuild)."""

INPUT_NAME = "image"
SCORE_OUTPUTS = ("scores_s8", "scores_s16", "scores_s32")
BOX_OUTPUTS = ("boxes_s8", "boxes_s16", "boxes_s32")
DISABLED_OPTIMIZERS = ["QDQPropagationTransformer"]
"""ORT would move the first QuantizeLinear above the stem's MaxPool, turning a 0.15 ms float NCHWc pool into a
4 ms generic uint8 one (18 % of the int8 model's time at 2 threads on the reference machine)."""
NMS_IOU = 0.45
"""Boxes overlapping more than this are one object (NanoDet's own setting is 0.5; people in a room rarely overlap)."""


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _expected_outputs(width: int, height: int) -> dict[str, list[int]]:
    shapes: dict[str, list[int]] = {}
    for stride, score_name, box_name in zip(nd.STRIDES, SCORE_OUTPUTS, BOX_OUTPUTS, strict=True):
        cells = (width // stride) * (height // stride)
        shapes[score_name] = [1, cells, nd.NUM_CLASSES]
        shapes[box_name] = [1, cells, 4 * nd.BINS]
    return shapes


class NanoDetDetector:
    """Finds people (and optionally other COCO classes) in private frames."""

    def __init__(
        self,
        model_path: Path,
        *,
        threads: int = 2,
        score_threshold: float = 0.5,
        expected_sha256: str | None = None,
        classes: tuple[int, ...] = (PERSON,),
    ) -> None:
        """Load and check the model; `expected_sha256=None`: the sum recorded for the committed file of that name."""
        if not 0.0 < score_threshold < 1.0:
            raise ValueError(f"score threshold must be in (0, 1), got {score_threshold!r}")
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads!r}")
        if not classes or any(not 0 <= c < nd.NUM_CLASSES for c in classes):
            raise ValueError(f"classes must be COCO indices 0..{nd.NUM_CLASSES - 1}, got {classes!r}")
        self.model_path = model_path
        self.score_threshold = score_threshold
        self.classes = classes
        self.threads = threads
        self._session, (self.input_width, self.input_height) = _open_session(model_path, threads, expected_sha256)
        self._grids = nd.make_grids(self.input_width, self.input_height)
        self._outputs = [*SCORE_OUTPUTS, *BOX_OUTPUTS]

    @property
    def name(self) -> str:
        return self.model_path.name.removesuffix(".onnx")

    def detect(self, frame: PrivateFrame) -> DetectionResult:
        if not isinstance(frame, PrivateFrame):
            raise TypeError(f"detection runs on PrivateFrame only, got {type(frame).__name__}")
        return self.detect_pixels(frame.pixels, frame.index, frame.captured_at)

    def detect_pixels(self, pixels: nd.Pixels, index: int, captured_at: float) -> DetectionResult:
        """Detect in a BGR array: raw pixels inside `privacy` (perception), private ones in the benchmarks."""
        started = time.perf_counter()
        height, width = pixels.shape[:2]
        blob = nd.preprocess(pixels, self.input_width, self.input_height)
        try:
            outputs = self._session.run(self._outputs, {INPUT_NAME: blob})
        except Exception as exc:  # onnxruntime raises its own pybind types; this is the boundary
            raise InferenceError(f"{self.name}: inference failed on frame {index}: {exc}") from exc
        maps = [np.asarray(o, dtype=np.float32) for o in outputs]
        boxes, scores, classes = nd.decode(maps[:3], maps[3:], self._grids, self.classes, self.score_threshold)
        keep = nd.suppress(boxes, scores, classes, self.score_threshold, NMS_IOU)
        back = 1.0 / nd.letterbox_scale(width, height, self.input_width, self.input_height)
        scaled = np.clip(boxes[keep] * np.float32(back), 0, [width, height, width, height])
        detections = tuple(
            Detection(float(x1), float(y1), float(x2), float(y2), float(score), int(class_id))
            for (x1, y1, x2, y2), score, class_id in zip(scaled, scores[keep], classes[keep], strict=True)
            if x2 > x1 and y2 > y1  # a box wholly outside the frame clips to nothing
        )
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        return DetectionResult(index, captured_at, detections, elapsed_ms)


def _open_session(
    model_path: Path, threads: int, expected_sha256: str | None
) -> tuple[ort.InferenceSession, tuple[int, int]]:
    expected = expected_sha256 or KNOWN_SHA256.get(model_path.name)
    if expected is None:
        raise ModelLoadError(
            f"no SHA-256 recorded for model {str(model_path)!r}: set NATTVAKT_NODE__DETECTOR_MODEL_SHA256 "
            f"(known files: {', '.join(sorted(KNOWN_SHA256))})"
        )
    try:
        data = model_path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"cannot read detector model {str(model_path)!r}: {exc.strerror or exc}") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected.lower():
        raise ModelLoadError(
            f"detector model {str(model_path)!r} has SHA-256 {actual}, expected {expected.lower()} "
            f"({len(data)} bytes; truncated, corrupt or a different model)"
        )
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # warnings about unused initialisers are build-time noise
    # Worker threads that spin after a run burn the edge box's CPU between the few runs a second the node makes.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        session = ort.InferenceSession(
            data, options, providers=["CPUExecutionProvider"], disabled_optimizers=DISABLED_OPTIMIZERS
        )
    except Exception as exc:  # onnxruntime's pybind errors share no base class but Exception
        raise ModelLoadError(f"onnxruntime refused detector model {str(model_path)!r}: {exc}") from exc
    width, height = _check_io(session, model_path)
    # The first run plans and allocates memory (several times a normal run): pay it here, not on the first person.
    try:
        session.run(None, {INPUT_NAME: np.zeros((1, 3, height, width), np.float32)})
    except Exception as exc:  # onnxruntime's pybind errors share no base class but Exception
        raise ModelLoadError(f"detector model {str(model_path)!r} loads but does not run: {exc}") from exc
    log.info(
        "detector model %s loaded (sha256 %s, input %dx%d, %d threads)",
        model_path.name,
        actual[:12],
        width,
        height,
        threads,
    )
    return session, (width, height)


def _check_io(session: ort.InferenceSession, model_path: Path) -> tuple[int, int]:
    """The input (width, height) the model was converted for, once its inputs and outputs prove decodable."""
    inputs = {i.name: (i.type, list(i.shape)) for i in session.get_inputs()}
    shape = inputs.get(INPUT_NAME, ("", []))[1]
    height, width = shape[2:4] if len(shape) == 4 else (0, 0)
    if not all(isinstance(side, int) and 64 <= side <= 1024 and side % 32 == 0 for side in (width, height)):
        width = height = nd.INPUT_SIZE
    want_input = {INPUT_NAME: ("tensor(float)", [1, 3, height, width])}
    if inputs != want_input:
        raise ModelFormatError(
            f"detector model {str(model_path)!r} has inputs {inputs}, expected {want_input} "
            "(fixed sides that are multiples of 32)"
        )
    outputs = {o.name: list(o.shape) for o in session.get_outputs()}
    for name, expected in _expected_outputs(width, height).items():
        if outputs.get(name) != expected:
            raise ModelFormatError(
                f"detector model {str(model_path)!r} output {name!r} is {outputs.get(name)}, expected {expected} "
                f"(outputs: {outputs})"
            )
    return width, height
