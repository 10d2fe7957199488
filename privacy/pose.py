"""MoveNet MultiPose on raw frames: the perception model that finds people in any pose, lying ones included.

Why here: measured on real bedrooms (`../shared/DESIGN.md`, MODELS.md), a box detector on private (blurred) frames goes
blind exactly when someone lies on the floor; a multi-person pose model on the raw frame sees most of them. So it
runs inside `privacy`, on the raw pixels, and hands on only `Perception` (boxes, keypoints, scores).

The model (`models/movenet-multipose.onnx`, Apache-2.0, built by `models/build_movenet.sh`) takes int32 RGB with
sides that are multiples of 32; the frame is letterboxed (never stretched: a portrait view keeps its shape) to
`long_side` on its longer side. A really dark picture (mean luma below `dark_luma`) is denoised (3x3 median) and
brightened with a gamma curve first: on dark frames gamma lifted MoveNet from 28 % to 39 % of lying people, where
CLAHE did not help (MODELS.md). Brightening also lifts a small sensor's noise, which the pose model reads as
texture: on 248 frames of people down on the floor 2-5 s after 62 falls, darkened to luma 25-40 with sensor noise,
it found someone in 55 with gamma alone, 77 after a 3x3 median first (<0.1 ms), 93 after non-local means (54 ms: too
dear per look); a bilateral filter or a 5x5 median found fewer (47, 55). A dim or IR-grey picture (luma 70-90) is
left alone: gamma there found fewer people (49 → 48 of 135 frames, and the box detector 105 → 73).
"""

from __future__ import annotations

import functools
import hashlib
import time
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from privacy.errors import PoseModelError
from privacy.frames import Pixels
from privacy.observations import Keypoint, Perception, PersonObservation

MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "movenet-multipose.onnx"
MODEL_SHA256 = "ff08a1c1be922deda02cb5c840ab6fc36adc191179fe890534dd8c8416a31d57"
LONG_SIDE = 256
"""MoveNet Lightning's trained input side; 384 px cost twice as much and found fewer lying people (MODELS.md)."""
MIN_PERSON_SCORE = 0.15
"""Lowest person score handed on. Lying people score 0.22-0.42 and never 0.5: the tracker, not one threshold,
decides who is a person (consistency over time)."""
DARK_LUMA = 50.0
GAMMA = 0.5
_GAMMA_LUT = np.array([255.0 * (i / 255.0) ** GAMMA for i in range(256)], np.uint8)


class PoseModel:
    """One ONNX Runtime session; `perceive` is called from one thread at a time (the pipeline's)."""

    def __init__(
        self, model_path: Path = MODEL_PATH, *, threads: int = 2, long_side: int = LONG_SIDE,
        min_score: float = MIN_PERSON_SCORE, dark_luma: float = DARK_LUMA,
    ) -> None:
        try:
            data = model_path.read_bytes()
        except OSError as exc:
            raise PoseModelError(f"cannot read pose model {str(model_path)!r}: {exc}") from exc
        if model_path == MODEL_PATH and hashlib.sha256(data).hexdigest() != MODEL_SHA256:
            raise PoseModelError(f"pose model {str(model_path)!r} does not match its recorded SHA-256; rebuild it "
                                 "with models/build_movenet.sh")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Worker threads that spin after a run burn the edge box's CPU between the few runs a second the node makes.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
            self._input = self._session.get_inputs()[0].name
            # The first run plans memory and is several times slower: pay it at load, not on the first person.
            self._session.run(None, {self._input: np.zeros((1, 192, 256, 3), np.int32)})
        except Exception as exc:  # onnxruntime's errors share no base class but Exception
            raise PoseModelError(f"cannot load or run pose model {str(model_path)!r}: {exc}") from exc
        self.long_side = long_side
        self.min_score = min_score
        self.dark_luma = dark_luma

    def perceive(self, bgr: Pixels) -> Perception:
        """People in one BGR frame, in fractions of the frame; raises `PoseModelError` when the runtime fails."""
        start = time.perf_counter()
        blob, (sx, sy), luma, enhanced = letterbox(bgr, self.long_side, self.dark_luma)
        try:
            out = cast(list[npt.NDArray[np.float32]], self._session.run(None, {self._input: blob}))[0][0]
        except Exception as exc:  # onnxruntime's errors are not a public hierarchy
            raise PoseModelError(f"pose model failed on a {bgr.shape[1]}x{bgr.shape[0]} frame: {exc}") from exc
        people = decode(out, sx, sy, self.min_score)
        return Perception(people, enhanced, luma, (time.perf_counter() - start) * 1000)


def letterbox(bgr: Pixels, long_side: int, dark_luma: float) -> tuple[npt.NDArray[np.int32], tuple[float, float],
                                                                      float, bool]:
    """The model's input: RGB, `long_side` on the longer side, padded with black to multiples of 32.

    Returns the blob, the factors that map the model's normalised coordinates back to fractions of the frame
    (the picture fills only part of the padded input), the picture's mean luma and whether it was brightened.
    """
    h, w = bgr.shape[:2]
    scale = long_side / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = cast(Pixels, cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_AREA))
    luma = float(cv2.mean(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))[0])
    enhanced = luma < dark_luma
    if enhanced:
        small = brighten(cast(Pixels, cv2.medianBlur(small, 3)))
    pw, ph = int(np.ceil(nw / 32)) * 32, int(np.ceil(nh / 32)) * 32
    blob = np.zeros((1, ph, pw, 3), np.int32)
    blob[0, :nh, :nw] = small[:, :, ::-1]
    return blob, (pw / nw, ph / nh), luma, enhanced


def brighten(bgr: Pixels) -> Pixels:
    """Gamma 0.5: lifts dark tones most, keeps black black and white white (no halo, unlike CLAHE)."""
    return cast(Pixels, cv2.LUT(bgr, _GAMMA_LUT))


def decode(out: npt.NDArray[np.float32], sx: float, sy: float, min_score: float) -> tuple[PersonObservation, ...]:
    """MoveNet's [6, 56] rows → people above `min_score`, coordinates scaled by (sx, sy) and clipped to the view."""
    people = []
    for row in out:
        score = float(row[55])
        if score < min_score:
            continue
        ymin, xmin, ymax, xmax = (float(v) for v in row[51:55])
        box = (_unit(xmin * sx), _unit(ymin * sy), _unit(xmax * sx), _unit(ymax * sy))
        if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
            continue
        points = row[:51].reshape(17, 3)
        keypoints = tuple(Keypoint(_unit(float(x) * sx), _unit(float(y) * sy), float(s)) for y, x, s in points)
        people.append(PersonObservation(box, score, keypoints))
    return tuple(sorted(people, key=lambda p: -p.score))


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))


@functools.cache
def shared_pose_model(model_path: Path = MODEL_PATH, threads: int = 2) -> PoseModel:
    """A session shared by the filters of one process (loading costs ~0.3 s and 19 MB)."""
    return PoseModel(model_path, threads=threads)
