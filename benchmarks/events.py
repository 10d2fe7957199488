"""Care-event quality on real footage: the node's whole pipeline (privacy → motion → gated detection → rules).

On the GMDCSA24 bedroom clips (when present) each clip runs through a fresh `FrameProcessor` with the node's
detection stage, at the node's frame rate (clips are 15 or 30 fps; every 2nd or 3rd frame is processed, as
latest-frame-wins capture would), with zones drawn once per room on its first frame (`ROOM_ZONES`) and the
default rule settings. Printed:

- `on_floor` recall on the clips with a fall to the floor, and its delay from the labelled start of the fall
  (the clips end 2-4 s after the person is down, so a rule that waits longer cannot fire in them);
- false `on_floor` (and other events) on the clips without a floor fall (sitting, walking, a fall onto the bed);
- person recall and precision, on private frames versus raw frames (the raw variant feeds the detector the
  unfiltered picture; only this benchmark does that, to measure what the privacy filter costs): recall = share
  of processed frames with a confirmed person track (a person is in every frame of these clips); precision =
  share of track-frames that are the one person (a chair taken for a person, held for a whole clip, counts
  against it). On vtest.avi (pedestrians; no ground truth ships with it): agreement of the boxes of confirmed
  tracks the detector saw in the last 0.5 s ("located") with fp32 NanoDet on the raw frame (score ≥ 0.6 = a
  person, ≥ 0.3 = plausibly one; IoU ≥ 0.3); the same for every confirmed track, carried ones included, whose
  box is a guess (held or predicted) and is printed for information.

Exits 1 when a limit in `[events]` of `benchmarks/budgets.toml` is broken.

    python -m benchmarks.events [--quick] [--on-floor-s S]      or      nattvakt bench events
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.budgets import BUDGETS_PATH
from benchmarks.footage import VTEST, gmdcsa24_dir, read_frames, video_fps
from benchmarks.matching import Agreement
from benchmarks.results import BenchResult, Figure
from camera_node.detector import DEFAULT_MODEL, DetectionResult, NanoDetDetector
from camera_node.detector.nanodet import MODELS_DIR, file_sha256
from camera_node.faults import CameraFaultMonitor
from camera_node.motion import MotionDetector
from camera_node.motion_events import MotionEventRule, RoomIdentity
from camera_node.pipeline import FrameProcessor
from camera_node.rules.geometry import Box
from camera_node.rules.stage import DetectionStage, build_detection_stage
from nattvakt.events import Event
from nattvakt.settings import NodeSettings, RuleSettings, ZoneSettings
from privacy import PrivacyFilter, PrivateFrame, RawFrame

ROOM = RoomIdentity("bench", "bench", "")
NODE_FPS = 10.0
"""The node's default `NATTVAKT_NODE__FPS`: clips are processed at about this rate."""

LOCATED_S = 0.5
"""A track the detector confirmed this recently has a box worth comparing; older ones carry a person on a guess."""

ROOM_ZONES: dict[str, tuple[ZoneSettings, ...]] = {
    # Drawn once per room on the first frame of one clip, as staff would when installing the camera.
    "Subject_1": (
        ZoneSettings(name="golv", kind="floor", polygon=((0.0, 0.7), (1.0, 0.7), (1.0, 1.0), (0.0, 1.0))),
        ZoneSettings(name="säng", kind="bed", polygon=((0.93, 0.5), (1.0, 0.5), (1.0, 0.85), (0.93, 0.85))),
    ),
    "Subject_2": (
        ZoneSettings(name="golv", kind="floor", polygon=((0.0, 0.6), (1.0, 0.6), (1.0, 1.0), (0.0, 1.0))),
        ZoneSettings(name="säng", kind="bed", polygon=((0.18, 0.35), (0.79, 0.38), (0.79, 0.72), (0.19, 0.72))),
    ),
}


@dataclass(frozen=True, slots=True)
class BedroomClip:
    path: Path
    room: str
    floor_fall_at: float | None
    """Labelled start of a fall that ends on the floor; None for clips without one (incl. a fall onto the bed)."""
    description: str


def bedroom_clips(root: Path | None = None) -> list[BedroomClip]:
    """The GMDCSA24 clips present, with what their labels say about a fall to the floor."""
    root = root or gmdcsa24_dir()
    if root is None:
        return []
    clips = []
    for video in sorted(root.glob("*.mp4")):
        match = re.fullmatch(r"((Subject_\d+)-(ADL|Fall))-(\d+)\.mp4", video.name)
        labels = root / f"{match.group(1)}.csv" if match else None
        if match is None or labels is None or not labels.is_file() or match.group(2) not in ROOM_ZONES:
            continue
        row = _label_row(labels, f"{int(match.group(4)):02d}.mp4")
        if row is None:
            continue
        description, classes = row
        fall = re.search(r"Falling[^\[]*\[\s*(\d+(?:\.\d+)?)", classes)
        onto_bed = "on the bed" in description.lower()
        at = float(fall.group(1)) if fall and match.group(3) == "Fall" and not onto_bed else None
        clips.append(BedroomClip(video, match.group(2), at, description.strip()))
    return clips


def _label_row(labels: Path, name: str) -> tuple[str, str] | None:
    with labels.open(newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.reader(handle):
            if row and row[0].strip() == name and len(row) >= 6:
                return row[4], ",".join(row[5:])
    return None


class _RawPixels:
    """Benchmark-only detector adapter: runs the model on the raw picture of the frame being processed."""

    def __init__(self, inner: NanoDetDetector) -> None:
        self.inner = inner
        self.pixels: np.ndarray | None = None

    @property
    def name(self) -> str:
        return f"{self.inner.name} (raw frames)"

    def detect(self, frame: PrivateFrame) -> DetectionResult:
        assert self.pixels is not None
        return self.inner._detect_pixels(self.pixels, frame.index, frame.captured_at)


@dataclass
class ClipRun:
    events: list[tuple[float, Event]] = field(default_factory=list)
    """Every event with the clip time it was emitted at."""
    frames: int = 0
    track_frames: int = 0
    """Sum over processed frames of the confirmed tracks."""
    frames_with_track: int = 0
    detector_runs: int = 0
    boxes: list[list[Box]] = field(default_factory=list)
    """Per processed frame, boxes of confirmed tracks the detector saw within `LOCATED_S`: people located now."""
    all_boxes: list[list[Box]] = field(default_factory=list)
    """Per processed frame, boxes of every confirmed track, including those carried on without a detection."""

    def opened(self, kind: str) -> list[float]:
        return [t for t, e in self.events if e.kind == kind and e.state == "open"]


def run_clip(
    path: Path,
    zones: tuple[ZoneSettings, ...] = (),
    *,
    raw: bool = False,
    node: NodeSettings | None = None,
    limit: int | None = None,
    width: int | None = None,
) -> ClipRun:
    """The node's pipeline on one video, at about `NODE_FPS`; clip time is the pipeline's clock.

    `node` carries the rule and detector settings (default: the node's, 2 detector threads); zones are the clip's.
    """
    node = (node or NodeSettings(detector_threads=2)).model_copy(update={"zones": zones})
    stage: DetectionStage = build_detection_stage(node, ROOM)
    adapter = None
    if raw:
        assert isinstance(stage.detector, NanoDetDetector)
        adapter = _RawPixels(stage.detector)
        stage.detector = adapter
    processor = FrameProcessor(
        PrivacyFilter(), MotionDetector(), MotionEventRule(ROOM, 3.0), CameraFaultMonitor(ROOM, 10.0), ROOM,
        detect=stage,
    )
    fps = video_fps(path)
    step = max(1, round(fps / NODE_FPS))
    run = ClipRun()
    for index, pixels in enumerate(read_frames(path, limit=limit, width=width)):
        if index % step:
            continue
        now = index / fps
        if adapter is not None:
            adapter.pixels = pixels
        private = processor.privacy.make_private(
            RawFrame(pixels, index=index, captured_at=now), motion_hint=processor.last_motion.moving
        )
        run.events += [(now, event) for event in processor.process(private, now, 0.0)]
        tracks = stage.rules.tracks
        run.frames += 1
        run.track_frames += len(tracks)
        run.frames_with_track += bool(tracks)
        run.boxes.append([t.box for t in tracks if now - t.last_detected <= LOCATED_S])
        run.all_boxes.append([t.box for t in tracks])
    run.detector_runs = stage.runs
    return run


@dataclass
class Tally:
    fall_clips: int = 0
    falls_caught: int = 0
    delays: list[float] = field(default_factory=list)
    other_clips: int = 0
    false_on_floor: int = 0
    frames: int = 0
    frames_with_person: int = 0
    track_frames: int = 0
    person_track_frames: int = 0
    lines: list[str] = field(default_factory=list)

    @property
    def person_recall(self) -> float:
        return self.frames_with_person / self.frames if self.frames else float("nan")

    @property
    def person_precision(self) -> float:
        return self.person_track_frames / self.track_frames if self.track_frames else float("nan")


def score_bedroom(clips: list[BedroomClip], *, raw: bool, node: NodeSettings) -> Tally:
    tally = Tally()
    for clip in clips:
        run = run_clip(clip.path, ROOM_ZONES[clip.room], raw=raw, node=node)
        floor = run.opened("on_floor")
        tally.frames += run.frames
        tally.frames_with_person += run.frames_with_track
        tally.track_frames += run.track_frames
        tally.person_track_frames += run.frames_with_track  # one person per clip: a second track is not one
        others = sorted({e.kind for _, e in run.events if e.state == "open" and e.kind != "motion"})
        if clip.floor_fall_at is not None:
            tally.fall_clips += 1
            if floor:
                tally.falls_caught += 1
                tally.delays.append(floor[0] - clip.floor_fall_at)
            verdict = f"on_floor after {floor[0] - clip.floor_fall_at:4.1f} s" if floor else "on_floor MISSED"
        else:
            tally.other_clips += 1
            tally.false_on_floor += len(floor)
            verdict = "FALSE on_floor" if floor else "no on_floor (right)"
        tally.lines.append(
            f"    {clip.path.name:24s} {verdict:22s} person in {run.frames_with_track:3d}/{run.frames:3d} frames,"
            f" {run.detector_runs:3d} detector runs; events: {', '.join(others) or '-'}"
        )
    return tally


def vtest_reference(limit: int | None) -> Iterator[tuple[list[Box], list[Box]]]:
    """Per processed vtest frame: (people, plausible people) from fp32 NanoDet on the raw frame, in fractions."""
    reference = NanoDetDetector(MODELS_DIR / "nanodet-g.onnx", threads=2, score_threshold=0.3)
    step = max(1, round(video_fps(VTEST) / NODE_FPS))
    for index, pixels in enumerate(read_frames(VTEST, limit=limit)):
        if index % step:
            continue
        h, w = pixels.shape[:2]
        found = reference._detect_pixels(pixels, index, 0.0).detections
        boxes = [((d.x1 / w, d.y1 / h, d.x2 / w, d.y2 / h), d.score) for d in found]
        yield [b for b, s in boxes if s >= 0.6], [b for b, _ in boxes]


def score_vtest(
    limit: int | None, reference: list[tuple[list[Box], list[Box]]], *, raw: bool, node: NodeSettings
) -> tuple[Agreement, Agreement]:
    """Agreement of located people, and of every confirmed track (carried ones included)."""
    run = run_clip(VTEST, (), raw=raw, node=node, limit=limit)
    located, carried = Agreement(least=0.3), Agreement(least=0.3)
    for agreement, per_frame in ((located, run.boxes), (carried, run.all_boxes)):
        for (sure, plausible), boxes in zip(reference, per_frame, strict=True):
            agreement.add(sure, plausible, boxes)
    return located, carried


def load_limits(path: Path = BUDGETS_PATH) -> dict[str, float]:
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("events", {}).get("quality")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    if not isinstance(table, dict) or not table:
        raise ValueError(f"{path} has no [events.quality] limits")
    limits = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"events.quality.{key} must be a number, got {value!r}")
        limits[key] = float(value)
    return limits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nattvakt bench events", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="vtest only, 200 frames: a smoke run, not a measurement")
    parser.add_argument("--on-floor-s", type=float, help="override RuleSettings.on_floor_s (default: the setting's)")
    parser.add_argument(
        "--model", type=Path, help="a candidate detector ONNX file instead of the committed default (trusted as is)"
    )
    parser.add_argument("--results", type=Path, help="also write the figures as JSON (for `nattvakt bench all`)")
    args = parser.parse_args(argv)
    try:
        limits = load_limits()
    except ValueError as exc:
        print(f"bench events: {exc}", file=sys.stderr)
        return 2
    rules = RuleSettings() if args.on_floor_s is None else RuleSettings(on_floor_s=args.on_floor_s)
    node = NodeSettings(rules=rules, detector_threads=2)
    if args.model is not None:
        try:
            sha256 = file_sha256(args.model)
        except OSError as exc:
            print(f"bench events: cannot read --model {str(args.model)!r}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        node = node.model_copy(update={"detector_model": args.model, "detector_model_sha256": sha256})
    print(f"detector model: {node.detector_model or DEFAULT_MODEL}")
    print(f"rules: on_floor after {rules.on_floor_s} s down (≥ 70 % of frames), lying at box w/h ≥ "
          f"{rules.lying_aspect}; node at {NODE_FPS:g} fps, detector ≤ {NodeSettings().detector_max_rate:g}/s")
    figures: list[Figure] = []
    broken: list[str] = []

    def check(name: str, value: float, limit_key: str, *, higher_is_better: bool, unit: str = "") -> None:
        limit = limits.get(limit_key)
        figures.append(Figure(name, round(value, 4), unit, limit, higher_is_better))
        if limit is not None and not (value >= limit if higher_is_better else value <= limit):
            broken.append(f"{name} = {value:.3f}, limit {limit_key} = {limit:g}")

    clips = [] if args.quick else bedroom_clips()
    if not clips:
        print("bedroom: skipped" + (" (--quick)" if args.quick else
                                    ": GMDCSA24 clips not found (../shared/data/gmdcsa24 or NATTVAKT_FOOTAGE_DIR)"))
    else:
        for raw in (False, True):
            tally = score_bedroom(clips, raw=raw, node=node)
            kind = "raw" if raw else "private"
            delays = tally.delays
            print(f"bedroom, {kind} frames ({len(clips)} GMDCSA24 clips):")
            print("\n".join(tally.lines))
            print(f"  on_floor: {tally.falls_caught}/{tally.fall_clips} floor falls caught, delay from fall start "
                  + (f"median {np.median(delays):.1f} s, max {max(delays):.1f} s" if delays else "-")
                  + f"; false on_floor on {tally.false_on_floor} of {tally.other_clips} clips without one")
            print(f"  person: recall {tally.person_recall:.3f} ({tally.frames_with_person}/{tally.frames} frames), "
                  f"precision {tally.person_precision:.3f} (track-frames that are the person)")
            check(f"bedroom {kind} on_floor falls caught", tally.falls_caught, f"{kind}_min_falls_caught",
                  higher_is_better=True)
            check(f"bedroom {kind} false on_floor", tally.false_on_floor, f"{kind}_max_false_on_floor",
                  higher_is_better=False)
            if delays:
                check(f"bedroom {kind} on_floor max delay", max(delays), "max_on_floor_delay_s",
                      higher_is_better=False, unit="s")
            check(f"bedroom {kind} person recall", tally.person_recall, f"{kind}_min_bedroom_person_recall",
                  higher_is_better=True)

    if not VTEST.exists():
        print(f"vtest: skipped ({VTEST} is missing: apt-get install opencv-doc)")
    else:
        limit = 200 if args.quick else None
        reference = list(vtest_reference(limit))
        for raw in (False, True):
            kind = "raw" if raw else "private"
            agreement, carried = score_vtest(limit, reference, raw=raw, node=node)
            print(f"vtest, {kind} frames: people located (tracks detected in the last {LOCATED_S} s): recall "
                  f"{agreement.recall:.3f} ({agreement.found}/{agreement.reference}), precision "
                  f"{agreement.precision:.3f} ({agreement.agreeing}/{agreement.boxes} boxes); every confirmed "
                  f"track incl. carried ones: recall {carried.recall:.3f}, precision {carried.precision:.3f} "
                  f"({carried.boxes} boxes)")
            if not args.quick:
                check(f"vtest {kind} person recall", agreement.recall, f"{kind}_min_vtest_recall",
                      higher_is_better=True)
                check(f"vtest {kind} person precision", agreement.precision, f"{kind}_min_vtest_precision",
                      higher_is_better=True)

    if args.results:
        result = BenchResult("events")
        result.figure_stage("quality", *figures)
        result.write(args.results)
    if broken:
        print("QUALITY BELOW LIMIT: " + "; ".join(broken), file=sys.stderr)
        return 1
    print("within limits" if figures else "nothing measured against limits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
