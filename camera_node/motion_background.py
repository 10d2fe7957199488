"""Background models for motion: a contrast-normalised running average, and OpenCV's MOG2 to compare.

Both take a small grey float32 picture and return a foreground mask (uint8 0/255). The
running average is the default: on the benchmark clips it matches MOG2's quality at a
fraction of its cost (figures in the issue note and `python -m benchmarks.frames`).
"""

from __future__ import annotations

from typing import Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt

Grey = npt.NDArray[np.float32]
Mask = npt.NDArray[np.uint8]
BackgroundKind = Literal["running_average", "mog2"]


class Background(Protocol):
    """A per-camera background model."""

    def apply(self, grey: Grey) -> Mask: ...

    def reset(self, grey: Grey) -> None: ...


class RunningAverage:
    """Exponential running average of the normalised picture, threshold adapted to sensor noise."""

    def __init__(self, alpha: float = 0.04, delta: float = 14.0, noise_factor: float = 4.0) -> None:
        self._alpha = alpha
        self._delta = delta
        self._noise_factor = noise_factor
        self._mean: Grey | None = None

    def apply(self, grey: Grey) -> Mask:
        if self._mean is None or self._mean.shape != grey.shape:
            self.reset(grey)
            return np.zeros(grey.shape, np.uint8)
        mean = self._mean
        diff = cv2.absdiff(grey, mean)
        # The median absolute difference tracks IR noise; motion is rarely most of the picture.
        noise = float(np.median(diff[::3, ::3]))
        level = max(self._delta, self._noise_factor * noise)
        mask: Mask = cv2.threshold(diff, level, 255, cv2.THRESH_BINARY)[1].astype(np.uint8)
        cv2.accumulateWeighted(grey, mean, self._alpha)
        return mask

    def reset(self, grey: Grey) -> None:
        self._mean = grey.copy()


class Mog2:
    """OpenCV's Gaussian-mixture background subtractor on the same picture."""

    def __init__(self, history: int = 200, var_threshold: float = 25.0) -> None:
        self._history = history
        self._var_threshold = var_threshold
        self._model = self._new()

    def _new(self) -> cv2.BackgroundSubtractorMOG2:
        return cv2.createBackgroundSubtractorMOG2(self._history, self._var_threshold, detectShadows=False)

    def apply(self, grey: Grey) -> Mask:
        picture = np.clip(grey, 0, 255).astype(np.uint8)
        return np.asarray(self._model.apply(picture), np.uint8)

    def reset(self, grey: Grey) -> None:
        self._model = self._new()
        self._model.apply(np.clip(grey, 0, 255).astype(np.uint8), learningRate=1.0)


def make_background(kind: BackgroundKind) -> Background:
    """Factory for the configured model."""
    if kind == "running_average":
        return RunningAverage()
    if kind == "mog2":
        return Mog2()
    raise ValueError(f"unknown motion background model {kind!r}; allowed: running_average, mog2")
