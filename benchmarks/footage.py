"""Reference footage: Debian opencv-doc stills and `vtest.avi`, and the GMDCSA24 bedroom clips when present.

GMDCSA24 lives outside the repository (`../shared/data/gmdcsa24`, or `NATTVAKT_FOOTAGE_DIR`); callers
skip it with a clear reason when it is absent.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

Pixels = npt.NDArray[np.uint8]

OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
VTEST = OPENCV_DATA / "vtest.avi"
STILLS_WITH_FACES = ("messi5.jpg",)
_REPO = Path(__file__).resolve().parents[1]


def gmdcsa24_dir() -> Path | None:
    """The bedroom clips, or None (with nothing else to say) when this machine has no copy."""
    configured = os.environ.get("NATTVAKT_FOOTAGE_DIR")
    candidates = [Path(configured)] if configured else []
    # Beside the checkout, or the workplace's fixed copy when the checkout lives elsewhere (a CI clone).
    candidates += [_REPO.parent / "shared" / "data" / "gmdcsa24", Path("/work/shared/data/gmdcsa24")]
    for path in candidates:
        if path.is_dir() and any(path.glob("*.mp4")):
            return path
    return None


@dataclass(frozen=True, slots=True)
class LabelledClip:
    path: Path
    activity: tuple[tuple[float, float], ...]
    """Labelled activity spans in seconds (GMDCSA24 CSV), merged."""


def gmdcsa24_clips() -> list[LabelledClip]:
    """Every clip in the folder with its merged activity spans from `Subject_N-{ADL,Fall}.csv`."""
    root = gmdcsa24_dir()
    if root is None:
        return []
    clips = []
    for video in sorted(root.glob("*.mp4")):
        match = re.fullmatch(r"(Subject_\d+-(?:ADL|Fall))-(\d+)\.mp4", video.name)
        if match is None:
            continue
        labels = root / f"{match.group(1)}.csv"
        spans = _spans_for(labels, f"{int(match.group(2)):02d}.mp4") if labels.is_file() else ()
        clips.append(LabelledClip(video, spans))
    return clips


def _spans_for(labels: Path, name: str) -> tuple[tuple[float, float], ...]:
    with labels.open(newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.reader(handle):
            if row and row[0].strip() == name:
                text = ",".join(row[5:])
                spans = [
                    (min(float(a), float(b)), max(float(a), float(b)))
                    for a, b in re.findall(r"(\d+(?:\.\d+)?)\s*to\s*(\d+(?:\.\d+)?)", text)
                ]
                return _merge(spans)
    return ()


def _merge(spans: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 0.5:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def read_frames(path: Path, *, limit: int | None = None, width: int | None = None) -> Iterator[Pixels]:
    """Frames of a video as BGR arrays, optionally resized to `width` (keeping aspect)."""
    cap = cv2.VideoCapture(str(path))
    try:
        count = 0
        while limit is None or count < limit:
            ok, frame = cap.read()
            if not ok:
                return
            if width is not None and frame.shape[1] != width:
                height = round(frame.shape[0] * width / frame.shape[1])
                frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
            count += 1
            yield cast(Pixels, frame)
    finally:
        cap.release()


def video_fps(path: Path) -> float:
    cap = cv2.VideoCapture(str(path))
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS))
    finally:
        cap.release()
    return fps if 0 < fps < 240 else 10.0
