"""Heads hidden in outgoing frames: a look-in simulated on every fall clip, checked against hand-labelled heads and
by a face detector.

Each clip plays at the node's rate (plus every frame that has a hand-labelled head) through one `PrivacyFilter`
as a look-in would: a private frame, with perception on the frames the node's gate would pick, then the outgoing
frames at every consent level. Printed, per room:

- **hand-labelled heads hidden**: of the heads in `benchmarks/head_labels.csv` (clip, frame, box, pose; drawn by
  looking at frames), the share whose box lies at least `COVERED` inside the regions the outgoing frame hid —
  per pose (upright, sitting, mid-fall, lying face-up/down/side, back to camera). The regions are found once per
  frame and hidden at every level, so the figure holds for each level; the levels differ in what they do to the
  rest of the picture;
- **pose heads hidden**: of the heads the pose model finds on the raw frame (face keypoints of a person scoring
  ≥ 0.3), the share hidden — mostly a check that the regions follow the keypoints as the head moves;
- **faces found**: frames in which CenterFace at 640 **and** at 960 px, threshold 0.3, still finds a face in an
  outgoing frame, per level. A find on a head — where CenterFace finds a face in the raw frame, where a person's
  head is by the pose model, or on a hand-labelled head — is a **leak** (must be 0); a find away from every head
  (CenterFace scores edges of a door in a silhouette, mosaic blocks, 0.3-0.45) is counted apart. Each find is
  saved as a crop beside the raw one for a look by eye (`--crops DIR`).

Exits 1 when a limit in `[heads]` of `benchmarks/budgets.toml` is broken.

    python -m benchmarks.heads [--variant dark] [--every N] [--clips PATTERN] [--crops DIR]
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import sys
import tomllib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from benchmarks.budgets import BUDGETS_PATH
from benchmarks.face_leaks import as_shown
from benchmarks.fall_footage import VARIANTS, FallClip, Variant, apply_variant, clip_fps, fall_clips
from benchmarks.footage import Pixels, read_frames
from benchmarks.results import BenchResult, Figure
from camera_node.faults import CameraFaultMonitor
from camera_node.motion import MotionDetector
from camera_node.motion_events import MotionEventRule
from camera_node.pipeline import FrameProcessor
from camera_node.rules.stage import build_detection_stage
from nattvakt.events import Origin
from nattvakt.settings import NodeSettings
from nattvakt.types import PRIVACY_LEVELS
from privacy import PrivacyFilter, RawFrame
from privacy.faces import FaceBox, shared_face_detector
from privacy.heads import head_region
from privacy.observations import FACE

LABELS = Path(__file__).resolve().parent / "head_labels.csv"
COVERED = 0.9
"""A head counts as hidden when this share of its box lies inside hidden regions."""
CHECK_WIDTHS = (640, 960)
CHECK_SCORE = 0.3
NODE_FPS = 10.0
ROOM = Origin("bench", "bench", "")

Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class HeadLabel:
    clip: str
    frame: int
    box: tuple[int, int, int, int]
    """x1, y1, x2, y2 in the clip's pixels."""
    pose: str


def load_labels(path: Path = LABELS) -> list[HeadLabel]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [HeadLabel(r["clip"], int(r["frame"]), (int(r["x1"]), int(r["y1"]), int(r["x2"]), int(r["y2"])),
                          r["pose"]) for r in csv.DictReader(handle)]


def covered(box: tuple[float, float, float, float], hidden: tuple[Box, ...], shape: tuple[int, int]) -> float:
    """Share of `box` (x1, y1, x2, y2) inside the union of hidden (x, y, w, h) boxes."""
    h, w = shape
    x1, y1 = max(0, int(box[0])), max(0, int(box[1]))
    x2, y2 = min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
    if x2 <= x1 or y2 <= y1:
        return 1.0
    mask = np.zeros((h, w), np.uint8)
    for x, y, bw, bh in hidden:
        mask[y : y + bh, x : x + bw] = 1
    return float(mask[y1:y2, x1:x2].mean())


@dataclass
class ClipHeads:
    room: str
    labelled: Counter[str] = field(default_factory=Counter)
    labelled_hidden: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)
    pose_heads: int = 0
    pose_hidden: int = 0
    checked: int = 0
    found: Counter[str] = field(default_factory=Counter)
    """Per level: checked frames in which CenterFace found a face on a head, at either width (leaks)."""
    elsewhere: Counter[str] = field(default_factory=Counter)
    """Per level: checked frames in which it found one only away from every head (detector false positives)."""
    crops: list[tuple[str, Pixels]] = field(default_factory=list)


def run_clip(task: tuple[FallClip, Variant, list[HeadLabel], int]) -> ClipHeads:
    clip, variant, labels, every = task
    by_frame = {label.frame: label for label in labels}
    rate = clip_fps(clip)
    step = max(1, round(rate / NODE_FPS))
    stage = build_detection_stage(NodeSettings(perception_threads=1), ROOM)
    processor = FrameProcessor(PrivacyFilter(), MotionDetector(), MotionEventRule(ROOM, 3.0),
                               CameraFaultMonitor(ROOM, 10.0), ROOM, detect=stage)
    faces = shared_face_detector()
    rng = np.random.default_rng(0)
    result = ClipHeads(clip.room)
    shown = 0
    for index, frame in enumerate(read_frames(clip.path)):
        if index % step and index not in by_frame:
            continue
        pixels = apply_variant(frame, variant, rng)
        now = index / rate
        raw = RawFrame(pixels, index=index, captured_at=now)
        private = processor.make_private(raw, now)
        # As the pipeline feeds a look-in: this raw frame, with the people the rules followed up to it.
        outs = processor.privacy.make_outgoing_levels(raw, PRIVACY_LEVELS, processor.tracked())
        processor.process(private, now, 0.0)
        hidden = outs["faces_hidden"].hidden_boxes
        shape = private.shape
        label = by_frame.get(index)
        if label is not None:
            result.labelled[label.pose] += 1
            share = covered(label.box, hidden, shape)
            if share >= COVERED:
                result.labelled_hidden[label.pose] += 1
            else:
                result.misses.append(f"{clip.name} frame {index} {label.pose}: {share:.0%} hidden")
        perception = processor.privacy.last_perception(raw)
        for person in perception.people if perception is not None else ():
            points = person.points(FACE, 0.3)
            if person.score < 0.3 or not points:
                continue
            hx = sum(p.x for p in points) / len(points) * shape[1]
            hy = sum(p.y for p in points) / len(points) * shape[0]
            result.pose_heads += 1
            result.pose_hidden += covered((hx - 2, hy - 2, hx + 2, hy + 2), hidden, shape) >= 1.0
        shown += 1
        if shown % every:
            continue
        result.checked += 1
        heads = [(f.x1, f.y1, f.x2, f.y2) for width in CHECK_WIDTHS for f in faces.detect(pixels, width, CHECK_SCORE)]
        heads += [r for p in (perception.people if perception is not None else ()) for r in head_region(p, shape)]
        if label is not None:
            heads.append(label.box)
        for level, out in outs.items():
            picture = as_shown(out)
            found = [f for width in CHECK_WIDTHS for f in faces.detect(picture, width, CHECK_SCORE)]
            on_head = [f for f in found if any(_centre_in(f, h) for h in heads)]
            if found:
                (result.found if on_head else result.elsewhere)[level] += 1
                f = max(on_head or found, key=lambda b: b.score)
                x1, y1 = max(0, int(f.x1) - 8), max(0, int(f.y1) - 8)
                x2, y2 = min(shape[1], int(f.x2) + 8), min(shape[0], int(f.y2) + 8)
                if x2 > x1 and y2 > y1:
                    pair = np.hstack([pixels[y1:y2, x1:x2], picture[y1:y2, x1:x2]])
                    result.crops.append((f"{clip.name}-{index}-{level}-{f.score:.2f}", pair))
    return result


def _centre_in(face: FaceBox, box: tuple[float, float, float, float]) -> bool:
    cx, cy = (face.x1 + face.x2) / 2, (face.y1 + face.y2) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def load_limits() -> dict[str, float]:
    table = tomllib.loads(BUDGETS_PATH.read_text(encoding="utf-8")).get("heads", {})
    return {key: float(value) for key, value in table.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.heads", description=__doc__.split("\n")[0])
    parser.add_argument("--variant", choices=VARIANTS, default="as_is")
    parser.add_argument("--every", type=int, default=5, help="check every N-th processed frame with CenterFace")
    parser.add_argument("--clips", help="only clips whose name matches this shell pattern")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--crops", type=Path, help="write raw | outgoing crops of every face found here")
    parser.add_argument("--results", type=Path, help="also write the figures as JSON (for `nattvakt bench all`)")
    args = parser.parse_args(argv)
    clips = fall_clips()
    if args.clips:
        clips = [c for c in clips if fnmatch.fnmatch(c.name, args.clips)]
    if not clips:
        print("heads: skipped, no footage found (../shared/data or NATTVAKT_FOOTAGE_DIR)")
        return 0
    labels = load_labels()
    tasks = [(c, args.variant, [lab for lab in labels if lab.clip == c.name], max(1, args.every)) for c in clips]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(run_clip, tasks, chunksize=1))
    broken: list[str] = []
    limits = load_limits()
    figures: list[Figure] = []
    print(f"variant {args.variant}; a head is hidden when ≥ {COVERED:.0%} of its box is; faces checked at "
          f"{' and '.join(map(str, CHECK_WIDTHS))} px, threshold {CHECK_SCORE}")
    rooms = sorted({r.room for r in results})
    for room in [*rooms, "ALL ROOMS"]:
        mine = [r for r in results if room in ("ALL ROOMS", r.room)]
        labelled = sum((r.labelled for r in mine), Counter[str]())
        hidden = sum((r.labelled_hidden for r in mine), Counter[str]())
        pose_heads, pose_hidden = sum(r.pose_heads for r in mine), sum(r.pose_hidden for r in mine)
        checked = sum(r.checked for r in mine)
        found = sum((r.found for r in mine), Counter[str]())
        elsewhere = sum((r.elsewhere for r in mine), Counter[str]())
        total, total_hidden = sum(labelled.values()), sum(hidden.values())
        share = total_hidden / total if total else float("nan")
        print(f"  {room:20s} hand-labelled heads hidden {total_hidden}/{total} ({share:.1%}); pose heads hidden "
              f"{pose_hidden}/{pose_heads} ({pose_hidden / max(1, pose_heads):.1%}); frames with a face found, of "
              f"{checked}, on a head (away from heads): "
              + ", ".join(f"{level} {found[level]} ({elsewhere[level]})" for level in PRIVACY_LEVELS))
        if room == "ALL ROOMS":
            print("    by pose: " + ", ".join(f"{pose} {hidden[pose]}/{labelled[pose]}" for pose in sorted(labelled)))
            for key, value in (("min_labelled_hidden", share), ("max_frames_with_face", float(sum(found.values())))):
                limit = limits.get(key)
                ok = limit is None or (value >= limit if key.startswith("min") else value <= limit)
                figures.append(Figure(key.removeprefix("min_").removeprefix("max_"), round(value, 4), "", limit,
                                      key.startswith("min")))
                if not ok:
                    broken.append(f"{key} = {value:.3f}, limit {limit}")
    for result in results:
        for miss in result.misses:
            print(f"    not hidden: {miss}")
    if args.crops is not None:
        args.crops.mkdir(parents=True, exist_ok=True)
        for result in results:
            for name, crop in result.crops:
                cv2.imwrite(str(args.crops / f"{name}.png"), cv2.resize(crop, None, fx=3, fy=3,
                                                                           interpolation=cv2.INTER_NEAREST))
    if args.results:
        out = BenchResult("heads")
        out.figure_stage("outgoing heads", *figures)
        out.write(args.results)
    if broken:
        print("HEADS BELOW LIMIT: " + "; ".join(broken), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
