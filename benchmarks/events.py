"""Care-event quality on real footage: the node's whole pipeline (privacy + perception → motion → rules).

Every clip of the four rooms in `../shared/data` (`benchmarks.fall_footage`: 62 floor falls and the clips without
one) runs through a fresh `FrameProcessor` with the node's perception stage and default rules, at the node's frame
rate, with the zones drawn once per camera. Clips end 2-4 s after the fall, so each is extended by 10 s of its last
second played back and forth with sensor noise (no camera fault is raised by it); a fall counts when `on_floor`
opens within `WITHIN_S` of the labelled start of the fall. Each clip also runs degraded — darkened with sensor
noise, IR-like grey, cropped to portrait — because none of the footage is a night recording.

Printed: per clip what happened; per room and variant, floor falls caught within 10 s, delays, false `on_floor`
on a clip without a floor fall, early `on_floor` (in a fall clip, more than a second before the labelled start of
the fall: the footage holds few clips without a fall, so the seconds before each fall are watched too) and false
`bed_exit` on the clips without a floor fall; and on vtest.avi (pedestrians; no ground truth ships with
it) the agreement of located tracks with fp32 NanoDet on the raw frame.

Perception runs on the raw frame inside `privacy` in the node itself, so the figures below are both "what the
node runs" and "raw": the privacy filter no longer stands between the camera and the person detector. Only
motion (which gates perception) sees the private frame.

Exits 1 when a limit in `[events.quality]` of `benchmarks/budgets.toml` is broken.

    python -m benchmarks.events [--quick] [--variants as_is dark] [--clips PATTERN] [--jobs N]
    nattvakt bench events
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
import time
import tomllib
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.budgets import BUDGETS_PATH
from benchmarks.fall_footage import VARIANTS, FallClip, Variant, clip_frames, clip_zones, fall_clips
from benchmarks.footage import VTEST, Pixels, read_frames, video_fps
from benchmarks.matching import Agreement
from benchmarks.results import BenchResult, Figure
from camera_node.faults import CameraFaultMonitor
from camera_node.motion import MotionDetector
from camera_node.motion_events import MotionEventRule
from camera_node.pipeline import FrameProcessor
from camera_node.rules.stage import build_detection_stage
from nattvakt.events import Event, Origin
from nattvakt.geometry import Box
from nattvakt.settings import NodeSettings, RuleSettings, ZoneSettings
from privacy import PrivacyFilter, RawFrame
from privacy.detector import NanoDetDetector
from privacy.detector.nanodet import MODELS_DIR
from privacy.perception import Perceiver, box_detector
from privacy.pose import PoseModel

ROOM = Origin("bench", "bench", "")
NODE_FPS = 10.0
"""The node's default `NATTVAKT_NODE__FPS`: clips are processed at about this rate."""
WITHIN_S = 10.0
"""A floor fall is caught when `on_floor` opens within this many seconds of the labelled start of the fall."""
EXTEND_S = 10.0
LOCATED_S = 0.5
"""A track perception confirmed this recently has a box worth comparing; older ones carry a person on a guess."""


@dataclass
class ClipRun:
    events: list[tuple[float, Event]] = field(default_factory=list)
    """Every event with the clip time it was emitted at."""
    frames: int = 0
    frames_with_track: int = 0
    perception_runs: int = 0
    boxes: list[list[Box]] = field(default_factory=list)
    """Per processed frame, boxes of confirmed tracks perception saw within `LOCATED_S`: people located now."""

    def opened(self, kind: str) -> list[float]:
        return [t for t, e in self.events if e.kind == kind and e.state == "open"]

    def spans(self, kind: str) -> tuple[tuple[float, float], ...]:
        """(opened, ended) clip times of each situation of `kind`; ended is infinite while it stays open."""
        ends = {e.id: t for t, e in self.events if e.kind == kind and e.state == "ended"}
        return tuple((t, ends.get(e.id, float("inf"))) for t, e in self.events if e.kind == kind and e.state == "open")


_PERCEIVER: Perceiver | None = None


def _perceiver(node: NodeSettings) -> Perceiver:
    """One perceiver per process (loading the models costs ~0.5 s; clips are many)."""
    global _PERCEIVER
    if _PERCEIVER is None:
        boxes = box_detector(node.perception_threads) if node.perception_box_every else None
        _PERCEIVER = Perceiver(PoseModel(threads=node.perception_threads), boxes,
                               box_every=max(1, node.perception_box_every))
    return _PERCEIVER


def run_frames(
    frames: Iterable[tuple[float, Pixels]], zones: tuple[ZoneSettings, ...], node: NodeSettings
) -> ClipRun:
    """The node's pipeline on timed frames (as `FramePipeline` drives it), with a fresh filter, motion and rules."""
    node = node.model_copy(update={"zones": zones})
    stage = build_detection_stage(node, ROOM)
    processor = FrameProcessor(
        PrivacyFilter(perceiver=_perceiver(node)), MotionDetector(), MotionEventRule(ROOM, 3.0),
        CameraFaultMonitor(ROOM, 10.0), ROOM, detect=stage,
    )
    run = ClipRun()
    for index, (now, pixels) in enumerate(frames):
        private = processor.make_private(RawFrame(pixels, index=index, captured_at=now), now)
        run.events += [(now, e) for e in processor.process(private, now, 0.0)]
        tracks = stage.rules.tracks
        run.frames += 1
        run.frames_with_track += bool(tracks)
        run.boxes.append([t.box for t in tracks if now - t.last_detected <= LOCATED_S])
    run.perception_runs = stage.runs
    return run


@dataclass(frozen=True, slots=True)
class ClipResult:
    name: str
    room: str
    variant: Variant
    fall_at: float | None
    on_floor: tuple[tuple[float, float], ...]
    """Each `on_floor` situation as (opened, ended) clip times; ended is infinite when still open at the end."""
    opened: tuple[str, ...]
    """Kinds of every other situation opened (motion and light changes left out)."""
    false_bed_exit: bool
    frames: int
    frames_with_track: int
    perception_runs: int
    seconds: float

    @property
    def delay(self) -> float | None:
        """Seconds from the start of the fall until an `on_floor` situation was open (0 when one opened while the
        person was already low on the floor and stayed open into the fall: staff had the alarm)."""
        if self.fall_at is None:
            return None
        fall = self.fall_at
        open_during = [max(0.0, start - fall) for start, end in self.on_floor if end >= fall]
        return min(open_during) if open_during else None

    @property
    def caught(self) -> bool:
        return self.delay is not None and self.delay <= WITHIN_S

    @property
    def false_on_floor(self) -> bool:
        """`on_floor` in a clip without a floor fall."""
        return self.fall_at is None and bool(self.on_floor)

    @property
    def early_on_floor(self) -> bool:
        """`on_floor` more than a second before the labelled start of the fall (the person already low on the
        floor: kneeling, crawling, sitting; the labels start the fall when they go down the last bit)."""
        return self.fall_at is not None and any(start < self.fall_at - 1.0 for start, _ in self.on_floor)

    def line(self) -> str:
        if self.early_on_floor:
            verdict = "on_floor EARLY" + (", open at the fall" if self.caught else ", ended before the fall")
        elif self.fall_at is not None:
            verdict = f"on_floor after {self.delay:4.1f} s" if self.caught else "on_floor MISSED"
        else:
            verdict = "FALSE on_floor" if self.on_floor else "no on_floor (right)"
        return (f"    {self.name:22s} {self.variant:8s} {verdict:22s} tracked in {self.frames_with_track:3d}/"
                f"{self.frames:3d} frames, {self.perception_runs:3d} looks; other events: "
                f"{', '.join(self.opened) or '-'}")


QUIET_KINDS = ("motion", "light_change")
"""Left out of a clip's line: every clip has them."""


def run_fall_clip(clip: FallClip, variant: Variant = "as_is", node: NodeSettings | None = None) -> ClipRun:
    """The node's pipeline on one clip in one variant, extended by `EXTEND_S`, with its camera's zones."""
    return run_frames(clip_frames(clip, variant, fps=NODE_FPS, extend_s=EXTEND_S), clip_zones(clip, variant),
                      node or NodeSettings())


def run_clip(task: tuple[FallClip, Variant, NodeSettings]) -> ClipResult:
    """One clip in one variant (a worker process's unit of work)."""
    clip, variant, node = task
    started = time.perf_counter()
    run = run_fall_clip(clip, variant, node)
    # A bed exit is false on a clip without a floor fall only if nobody got up: these clips hold no real bed exit.
    return ClipResult(
        clip.name, clip.room, variant, clip.fall_at, run.spans("on_floor"),
        tuple(sorted({e.kind for _, e in run.events if e.state == "open" and e.kind not in QUIET_KINDS})),
        clip.fall_at is None and bool(run.opened("bed_exit")), run.frames, run.frames_with_track,
        run.perception_runs, time.perf_counter() - started,
    )


@dataclass
class Tally:
    falls: int = 0
    caught: int = 0
    delays: list[float] = field(default_factory=list)
    others: int = 0
    false_on_floor: int = 0
    early_on_floor: int = 0
    false_bed_exit: int = 0

    def add(self, result: ClipResult) -> None:
        self.false_on_floor += result.false_on_floor
        self.early_on_floor += result.early_on_floor
        if result.fall_at is not None:
            self.falls += 1
            if result.caught and result.delay is not None:
                self.caught += 1
                self.delays.append(result.delay)
        else:
            self.others += 1
            self.false_bed_exit += result.false_bed_exit

    @property
    def recall(self) -> float:
        return self.caught / self.falls if self.falls else float("nan")

    def row(self, label: str) -> str:
        delays = (f"{np.median(self.delays):4.1f} / {max(self.delays):4.1f} s" if self.delays else "    -       ")
        return (f"  {label:32s} {self.caught:3d}/{self.falls:<3d} ({self.recall:6.1%})  {delays}   "
                f"{self.false_on_floor:2d}/{self.others:<3d}          {self.early_on_floor:2d}/{self.falls:<3d}"
                f"          {self.false_bed_exit:2d}/{self.others:<3d}")


def tally(results: Iterable[ClipResult]) -> Tally:
    total = Tally()
    for result in results:
        total.add(result)
    return total


def vtest_reference(limit: int | None) -> Iterator[tuple[list[Box], list[Box]]]:
    """Per processed vtest frame: (people, plausible people) from fp32 NanoDet on the raw frame, in fractions."""
    reference = NanoDetDetector(MODELS_DIR / "nanodet-g.onnx", threads=2, score_threshold=0.3)
    step = max(1, round(video_fps(VTEST) / NODE_FPS))
    for index, pixels in enumerate(read_frames(VTEST, limit=limit)):
        if index % step:
            continue
        h, w = pixels.shape[:2]
        found = reference.detect_pixels(pixels, index, 0.0).detections
        boxes = [((d.x1 / w, d.y1 / h, d.x2 / w, d.y2 / h), d.score) for d in found]
        yield [b for b, s in boxes if s >= 0.6], [b for b, _ in boxes]


def vtest_frames(limit: int | None) -> Iterator[tuple[float, Pixels]]:
    fps = video_fps(VTEST)
    step = max(1, round(fps / NODE_FPS))
    for index, pixels in enumerate(read_frames(VTEST, limit=limit)):
        if index % step == 0:
            yield index / fps, pixels


def score_vtest(limit: int | None, node: NodeSettings) -> Agreement:
    """Agreement of located people with the reference."""
    reference = list(vtest_reference(limit))
    run = run_frames(vtest_frames(limit), (), node)
    located = Agreement(least=0.3)
    for (sure, plausible), boxes in zip(reference, run.boxes, strict=True):
        located.add(sure, plausible, boxes)
    return located


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


def run_all(tasks: list[tuple[FallClip, Variant, NodeSettings]], jobs: int) -> list[ClipResult]:
    """Clips across `jobs` worker processes (each perceives with `perception_threads` threads)."""
    if jobs <= 1:
        return [run_clip(task) for task in tasks]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run_clip, tasks, chunksize=1))


def _key_value(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or name not in RuleSettings.model_fields:
        raise ValueError(f"{item!r} is not NAME=VALUE with a RuleSettings field name")
    return name, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nattvakt bench events", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="vtest only, 200 frames: a smoke run, not a measurement")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--clips", help="only clips whose name matches this shell pattern (for a look at one room)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2: one per core)")
    parser.add_argument("--on-floor-s", type=float, help="override RuleSettings.on_floor_s (default: the setting's)")
    parser.add_argument("--rule", action="append", default=[], metavar="NAME=VALUE",
                        help="override a RuleSettings field, e.g. --rule track_score=0.2 (repeatable)")
    parser.add_argument("--results", type=Path, help="also write the figures as JSON (for `nattvakt bench all`)")
    args = parser.parse_args(argv)
    try:
        limits = load_limits()
    except ValueError as exc:
        print(f"bench events: {exc}", file=sys.stderr)
        return 2
    try:
        overrides = dict(_key_value(item) for item in args.rule)
        if args.on_floor_s is not None:
            overrides["on_floor_s"] = str(args.on_floor_s)
        rules = RuleSettings.model_validate(overrides)
    except ValueError as exc:
        print(f"bench events: bad --rule: {exc}", file=sys.stderr)
        return 2
    jobs = max(1, args.jobs)
    # Two workers with one thread each use the two cores better than one worker with two.
    node = NodeSettings(rules=rules, perception_threads=1 if jobs > 1 else 2)
    print(f"rules: on_floor after {rules.on_floor_s} s down, lying at box w/h ≥ {rules.lying_aspect} or torso "
          f"≥ 60° from vertical; node at {NODE_FPS:g} fps, perception ≤ {node.perception_max_rate:g}/s, box "
          f"detector every {node.perception_box_every} looks; clips extended by {EXTEND_S:g} s; a fall counts "
          f"within {WITHIN_S:g} s")
    figures: list[Figure] = []
    broken: list[str] = []

    def check(name: str, value: float, limit_key: str, *, higher_is_better: bool, unit: str = "") -> None:
        limit = limits.get(limit_key)
        figures.append(Figure(name, round(value, 4), unit, limit, higher_is_better))
        if limit is not None and not (value >= limit if higher_is_better else value <= limit):
            broken.append(f"{name} = {value:.3f}, limit {limit_key} = {limit:g}")

    clips = [] if args.quick else fall_clips()
    if args.clips:
        clips = [c for c in clips if fnmatch.fnmatch(c.name, args.clips)]
    if not clips:
        print("falls: skipped" + (" (--quick)" if args.quick else
                                  ": no footage found (../shared/data or NATTVAKT_FOOTAGE_DIR)"))
    else:
        started = time.perf_counter()
        tasks = [(clip, variant, node) for variant in args.variants for clip in clips]
        results = run_all(tasks, jobs)
        print(f"{len(clips)} clips x {len(args.variants)} variants in {time.perf_counter() - started:.0f} s "
              f"({jobs} worker processes)")
        for result in results:
            print(result.line())
        rooms = sorted({c.room for c in clips})
        print(f"\n  {'room / variant':32s} {'falls within 10 s':19s} {'delay med / max':16s} {'false on_floor':14s} "
              f"{'early on_floor':14s} {'false bed_exit'}")
        for variant in args.variants:
            mine = [r for r in results if r.variant == variant]
            for room in rooms:
                print(tally(r for r in mine if r.room == room).row(f"{room} / {variant}"))
            total = tally(mine)
            print(total.row(f"ALL ROOMS / {variant}"))
            check(f"{variant} floor falls caught within 10 s", total.recall, f"{variant}_min_fall_recall",
                  higher_is_better=True)
            check(f"{variant} false on_floor", total.false_on_floor, "max_false_on_floor", higher_is_better=False)
            check(f"{variant} early on_floor", total.early_on_floor, "max_early_on_floor", higher_is_better=False)
            check(f"{variant} false bed_exit", total.false_bed_exit, "max_false_bed_exit", higher_is_better=False)
            if total.delays:
                check(f"{variant} median on_floor delay", float(np.median(total.delays)), "max_median_delay_s",
                      higher_is_better=False, unit="s")

    if not VTEST.exists():
        print(f"vtest: skipped ({VTEST} is missing: apt-get install opencv-doc)")
    else:
        limit = 200 if args.quick else None
        agreement = score_vtest(limit, node.model_copy(update={"perception_threads": 2}))
        print(f"vtest: people located (tracks perceived in the last {LOCATED_S} s): recall {agreement.recall:.3f} "
              f"({agreement.found}/{agreement.reference}), precision {agreement.precision:.3f} "
              f"({agreement.agreeing}/{agreement.boxes} boxes)")
        if not args.quick:
            check("vtest person recall", agreement.recall, "min_vtest_recall", higher_is_better=True)
            check("vtest person precision", agreement.precision, "min_vtest_precision", higher_is_better=True)

    if args.results:
        out = BenchResult("events")
        out.figure_stage("quality", *figures)
        out.write(args.results)
    if broken:
        print("QUALITY BELOW LIMIT: " + "; ".join(broken), file=sys.stderr)
        return 1
    print("within limits" if figures else "nothing measured against limits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
