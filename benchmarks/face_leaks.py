"""Faces a face detector still finds in filtered frames, per tier and outgoing level.

A face is "found" when CenterFace at 640 px scores ≥ 0.5 on the filtered frame, and
"exposed" when such a box is less than 70 % inside the boxes the filter hid (CenterFace
also scores 0.5-0.65 on mosaic blocks themselves, MODELS.md). Run:
`python -m benchmarks.face_leaks [--every N]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.footage import OPENCV_DATA, STILLS_WITH_FACES, VTEST, gmdcsa24_clips, read_frames
from benchmarks.results import BenchResult, Figure
from nattvakt.types import PRIVACY_LEVELS
from privacy import OutgoingFrame, PrivacyFilter, RawFrame
from privacy.faces import FaceBox, FaceDetector, shared_face_detector

CHECK_WIDTH = 640
CHECK_SCORE = 0.5
EXPOSED_BELOW = 0.7
Pixels = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]


@dataclass
class LeakCounts:
    checked: int = 0
    raw: int = 0
    """Checked frames in which the raw frame holds a face."""
    found: dict[str, int] = field(default_factory=dict)
    exposed: dict[str, int] = field(default_factory=dict)
    filter_ms: list[float] = field(default_factory=list)

    def add(self, other: LeakCounts) -> None:
        self.checked += other.checked
        self.raw += other.raw
        for key, value in other.found.items():
            self.found[key] = self.found.get(key, 0) + value
        for key, value in other.exposed.items():
            self.exposed[key] = self.exposed.get(key, 0) + value
        self.filter_ms += other.filter_ms


def faces_in(detector: FaceDetector, pixels: Pixels) -> list[FaceBox]:
    return detector.detect(pixels, CHECK_WIDTH, CHECK_SCORE)


def as_shown(frame: OutgoingFrame) -> Pixels:
    """The outgoing frame as a viewer shows it: scaled (bilinear, as a browser's video element) up to the camera
    frame it came from, so that faces are looked for at the size staff see and in the hidden boxes' pixels."""
    height, width = frame.source_shape
    if frame.shape == (height, width):
        return np.ascontiguousarray(frame.pixels)
    return cast(Pixels, cv2.resize(frame.pixels, (width, height), interpolation=cv2.INTER_LINEAR))


def exposed(face: FaceBox, hidden: Iterable[Box], shape: tuple[int, int]) -> bool:
    """Whether less than 70 % of the face box lies inside the hidden boxes."""
    h, w = shape
    x1, y1 = max(0, int(face.x1)), max(0, int(face.y1))
    x2, y2 = min(w, int(np.ceil(face.x2))), min(h, int(np.ceil(face.y2)))
    if x2 <= x1 or y2 <= y1:
        return False
    mask = np.zeros((h, w), np.uint8)
    for x, y, bw, bh in hidden:
        mask[y : y + bh, x : x + bw] = 1
    covered = float(mask[y1:y2, x1:x2].mean())
    return covered < EXPOSED_BELOW


def measure(frames: Iterable[Pixels], *, every: int, outgoing: bool = True) -> LeakCounts:
    """Filter every frame as a pipeline would (held boxes), check every `every`-th frame."""
    detector = shared_face_detector()
    filt = PrivacyFilter()
    counts = LeakCounts()
    tiers = ["private", *PRIVACY_LEVELS] if outgoing else ["private"]
    counts.found = dict.fromkeys(tiers, 0)
    counts.exposed = dict.fromkeys(tiers, 0)
    for index, pixels in enumerate(frames):
        raw = RawFrame(pixels, index=index, captured_at=0.0)
        start = time.perf_counter()
        private = filt.make_private(raw)
        counts.filter_ms.append((time.perf_counter() - start) * 1000)
        outs = filt.make_outgoing_levels(raw, PRIVACY_LEVELS) if outgoing else {}
        if index % every:
            continue
        counts.checked += 1
        counts.raw += bool(faces_in(detector, pixels))
        tiered: list[tuple[str, Pixels, tuple[Box, ...]]] = [("private", private.pixels, private.face_boxes)]
        tiered += [(level, as_shown(out), out.hidden_boxes) for level, out in outs.items()]
        for tier, out_pixels, hidden in tiered:
            found = faces_in(detector, out_pixels)
            counts.found[tier] += bool(found)
            # Global levels mosaic the whole frame: a box found there is a mosaic block, not a face.
            whole = tier in ("heavy_blur", "pixelate", "silhouette")
            counts.exposed[tier] += any(not whole and exposed(f, hidden, private.shape) for f in found)
    return counts


def footage_sets(limit: int | None) -> dict[str, list[Iterable[Pixels]]]:
    sets: dict[str, list[Iterable[Pixels]]] = {}
    stills = [cv2.imread(str(OPENCV_DATA / name)) for name in STILLS_WITH_FACES]
    sets["stills"] = [[cast(Pixels, still)] for still in stills if still is not None]
    if VTEST.is_file():
        sets["vtest"] = [read_frames(VTEST, limit=limit, width=640)]
    clips = gmdcsa24_clips()
    if clips:
        sets["gmdcsa24"] = [read_frames(clip.path, limit=limit) for clip in clips]
    return sets


def report(name: str, counts: LeakCounts) -> str:
    ms = np.array(counts.filter_ms) if counts.filter_ms else np.zeros(1)
    tiers = " ".join(f"{t}={counts.found[t]}/{counts.exposed[t]}" for t in counts.found)
    return (
        f"{name:9s} checked={counts.checked:4d} raw_with_face={counts.raw:4d} found/exposed: {tiers} "
        f"private filter ms mean={ms.mean():.1f} p99={np.percentile(ms, 99):.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.face_leaks", description=__doc__)
    parser.add_argument("--every", type=int, default=3, help="check every N-th frame (all frames are filtered)")
    parser.add_argument("--limit", type=int, default=None, help="frames per clip")
    parser.add_argument("--results", type=Path, help="also write the figures as JSON (for `nattvakt bench all`)")
    args = parser.parse_args(argv)
    total_exposed = 0
    results = BenchResult("privacy")
    filter_ms: list[float] = []
    for name, clips in footage_sets(args.limit).items():
        counts = LeakCounts()
        for frames in clips:
            counts.add(measure(frames, every=1 if name == "stills" else args.every))
        print(report(name, counts), flush=True)
        filter_ms += counts.filter_ms
        results.notes[f"{name}: frames checked / raw frames with a face"] = f"{counts.checked} / {counts.raw}"
        results.figure_stage(
            f"faces found ({name})",
            *(Figure(tier, counts.found[tier], "frames", None if tier == "private" else 0) for tier in counts.found),
        )
        total_exposed += sum(v for k, v in counts.exposed.items() if k != "private")
        total_exposed += sum(v for k, v in counts.found.items() if k != "private")
    if gmdcsa24_clips() == []:
        print("gmdcsa24: skipped (no ../shared/data/gmdcsa24 on this machine)")
    if args.results:
        results.latency_stage("private filter (all sets)", filter_ms, {})
        results.write(args.results)
    return 1 if total_exposed else 0


if __name__ == "__main__":
    sys.exit(main())


