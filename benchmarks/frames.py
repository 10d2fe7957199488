"""Frame-pipeline benchmark: latency per stage against `budgets.toml`, and motion quality.

Runs the node's real per-frame pipeline (privacy filter → motion → event rules) on reference
clips at 640x480 and 1280x720: every synthetic scenario (exact ground truth), Debian
opencv-doc's vtest.avi, and the GMDCSA24 bedroom clips when present. Prints p50/p99 per stage,
frames per second and CPU per frame, precision/recall of motion onsets and false motion events
per hour on static scenes, and the motion cost of MOG2 and of a lean running-average reference
measured on the same frames. Perception (pose model + box detector on the raw frame, inside the
privacy filter) runs when the node's gate asks (motion, a tracked person due a look, idle scans;
at most 5 times a clip second, 2 threads): stage `perception` is its time on the frames it ran on,
outside `privacy`, `total` and the per-frame figures.

Node load: the whole node's CPU (every thread, ONNX Runtime's included) as a share of one core,
at the node's 10 fps, on a scene with people moving (vtest.avi) and on an empty, still room
(the synthetic `noise` scene: an empty room under heavy IR sensor noise); `[frames.load]` limits.
Capture (`benchmarks/capture.py`): decoding a real RTSP camera's H.264 stream at 640x480 (sub-stream) and 1920x1080
(main stream), 25 fps: decode ms per frame p50/p99 and the node's CPU for it; `[frames.capture_<W>x<H>]` limit both.
Exits 1 when a 640x480 budget or a capture budget is broken. One thread for the frame path, as the budgets say.

    python -m benchmarks.frames [--quick] [--no-capture]      or      nattvakt bench frames [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from benchmarks import capture
from benchmarks.budgets import BUDGETS_PATH, BudgetError, load_budgets
from benchmarks.footage import VTEST, gmdcsa24_clips, read_frames, video_fps
from benchmarks.onsets import OnsetScore, score_onsets, spans_from_flags
from benchmarks.results import BenchResult, Figure
from camera_node.faults import CameraFaultMonitor
from camera_node.motion import MotionConfig, MotionDetector
from camera_node.motion_events import MotionEventRule
from camera_node.pipeline import FrameProcessor, perception_ms
from camera_node.rules.stage import build_detection_stage
from camera_node.synthetic import SCENARIOS, SyntheticScene
from camera_node.timing import StageTimings, summarise
from nattvakt.events import Origin
from nattvakt.settings import NodeSettings
from privacy import PrivacyFilter, PrivateFrame, RawFrame

STAGES = ("privacy", "motion", "total", "perception")
NODE_FPS = 10.0
QUIET_S = 3.0
ROOM = Origin("bench", "bench", "")
Pixels = npt.NDArray[np.uint8]


@dataclass
class Clip:
    name: str
    fps: float
    frames: Iterator[Pixels]
    truth: list[bool] | None = None
    """Per-frame 'a person moves' (synthetic), or None when `spans` label the clip."""
    spans: list[tuple[float, float]] | None = None


@dataclass
class RunResult:
    timings: StageTimings = field(default_factory=lambda: StageTimings(window=10_000_000))
    """Every sample of the run (the node's own window keeps only recent ones)."""
    reference_ms: dict[str, list[float]] = field(default_factory=lambda: {"lean": [], "mog2": []})
    quality: dict[str, OnsetScore] = field(default_factory=lambda: {"ours": OnsetScore(), "mog2": OnsetScore()})
    cpu_s: float = 0.0
    wall_s: float = 0.0
    frames: int = 0
    light_changes: int = 0
    perception_runs: int = 0


class LeanRunningAverage:
    """Reference: area downscale, grey, running average, threshold, count. No robustness at all."""

    def __init__(self) -> None:
        self._mean: npt.NDArray[np.float32] | None = None

    def update(self, frame: PrivateFrame) -> float:
        grey = cv2.cvtColor(cv2.resize(frame.pixels, (160, 120), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        if self._mean is None:
            self._mean = grey.astype(np.float32)
            return 0.0
        moved = cv2.absdiff(grey.astype(np.float32), self._mean) > 20
        cv2.accumulateWeighted(grey.astype(np.float32), self._mean, 0.05)
        return float(np.count_nonzero(moved)) / moved.size


def synthetic_clips(width: int, height: int, cycles: int, scenarios: tuple[str, ...] = SCENARIOS) -> list[Clip]:
    clips = []
    for scenario in scenarios:
        scene = SyntheticScene(width, height, 10.0, scenario=scenario)  # type: ignore[arg-type]
        count = int(scene.timing.cycle_s * scene.fps * cycles)
        truth = [scene.truth(i).moving for i in range(count)]
        clips.append(Clip(f"synthetic:{scenario}", scene.fps, _render(scene, count), truth))
    return clips


def _render(scene: SyntheticScene, count: int) -> Iterator[Pixels]:
    """Frames of one scene (a function, so each generator keeps its own scene)."""
    for index in range(count):
        yield scene.render(index)


def real_clips(width: int, height: int, limit: int | None) -> list[Clip]:
    clips = []
    if width == 640 and VTEST.is_file():
        frames = (
            cast(Pixels, cv2.resize(f, (640, 480), interpolation=cv2.INTER_AREA))
            for f in read_frames(VTEST, limit=limit)
        )
        # Pedestrians walk through the whole clip: one onset at its start.
        clips.append(Clip("vtest", video_fps(VTEST), frames, spans=[(0.0, 1e9)]))
    for clip in gmdcsa24_clips():
        cap = cv2.VideoCapture(str(clip.path))
        size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        cap.release()
        if size == (width, height):
            clips.append(Clip(clip.path.name, video_fps(clip.path), read_frames(clip.path, limit=limit),
                              spans=list(clip.activity)))
    return clips


def run_clip(clip: Clip, result: RunResult, clock: Callable[[], float]) -> None:
    """The node's pipeline, one frame after another at the clip's own clock."""
    detection = build_detection_stage(NodeSettings(), ROOM, timings=result.timings)
    processor = FrameProcessor(
        PrivacyFilter(), MotionDetector(), MotionEventRule(ROOM, QUIET_S),
        CameraFaultMonitor(ROOM, 10.0), ROOM, timings=result.timings, clock=clock, detect=detection,
    )
    mog2, mog2_rule = MotionDetector(MotionConfig(background="mog2")), MotionEventRule(ROOM, QUIET_S)
    lean = LeanRunningAverage()
    opened: dict[str, list[float]] = {"ours": [], "mog2": []}
    count = 0
    for index, pixels in enumerate(clip.frames):
        now = index / clip.fps
        cpu_start, wall_start = time.thread_time(), time.perf_counter()
        start = clock()
        runs = detection.runs
        private = processor.make_private(RawFrame(pixels, index=index, captured_at=now), now)
        inference = perception_ms(private)
        privacy_ms = (clock() - start) * 1000 - inference
        events = processor.process(private, now, privacy_ms)
        # Without perception's own time (it is a stage of its own, on the frames it ran on).
        result.cpu_s += time.thread_time() - cpu_start - inference / 1000
        result.wall_s += time.perf_counter() - wall_start - inference / 1000
        result.perception_runs += detection.runs - runs
        for event in events:
            result.light_changes += event.kind == "light_change" and event.state == "open"
            if event.kind == "motion" and event.state == "open":
                opened["ours"].append(now)
        t0 = clock()
        lean.update(private)
        t1 = clock()
        mog2_event = mog2_rule.update(mog2.update(private), now)
        result.reference_ms["lean"].append((t1 - t0) * 1000)
        result.reference_ms["mog2"].append((clock() - t1) * 1000)
        if mog2_event is not None and mog2_event.state == "open":
            opened["mog2"].append(now)
        count += 1
    result.frames += count
    spans = clip.spans if clip.spans is not None else spans_from_flags(clip.truth or [], clip.fps)
    duration = count / clip.fps
    for name in ("ours", "mog2"):
        result.quality[name].add(score_onsets([s for s in spans if s[0] < duration], opened[name], duration))


def report(label: str, result: RunResult) -> str:
    lines = [f"== {label}: {result.frames} frames"]
    summary = result.timings.summary()
    for stage in STAGES:
        if stage in summary:
            s = summary[stage]
            lines.append(
                f"  {stage:8s} mean {s.mean_ms:7.3f}  p50 {s.p50_ms:7.3f}  p99 {s.p99_ms:7.3f}  max {s.max_ms:7.2f} ms"
            )
    for name, values in result.reference_ms.items():
        if values:
            s = summarise(np.array(values))
            lines.append(
                f"  motion reference {name:5s} mean {s.mean_ms:6.3f}  p50 {s.p50_ms:6.3f}  p99 {s.p99_ms:6.3f} ms"
            )
    if result.frames:
        lines.append(
            f"  pipeline {result.frames / result.wall_s:6.1f} fps on one thread (wall);"
            f" CPU {result.cpu_s * 1000 / result.frames:.2f} ms per frame (without perception);"
            f" perception ran on {result.perception_runs} frames"
        )
    for name, q in result.quality.items():
        lines.append(
            f"  motion onsets [{name:4s}] precision {q.precision:.3f} ({q.correct}/{q.detected})  recall {q.recall:.3f}"
            f" ({q.found_onsets}/{q.true_onsets})  false events/hour on static scenes {q.false_per_hour:.1f}"
            f" ({q.false_events} in {q.static_s / 3600:.3f} h)"
        )
    lines.append(f"  light changes reported: {result.light_changes}")
    return "\n".join(lines)


def node_load(frames: Iterator[Pixels], fps: float) -> tuple[float, int, int]:
    """The node's CPU (all threads of this process) as a share of one core at `NODE_FPS` on these frames (taken at
    the node's rate from a clip at `fps`), with the frames processed and perception runs."""
    detection = build_detection_stage(NodeSettings(), ROOM)
    processor = FrameProcessor(
        PrivacyFilter(), MotionDetector(), MotionEventRule(ROOM, QUIET_S), CameraFaultMonitor(ROOM, 10.0), ROOM,
        detect=detection,
    )
    step = max(1, round(fps / NODE_FPS))
    # Decoded or rendered before the clock starts: a synthetic scene's noise costs more than the node itself.
    taken = [(index, pixels) for index, pixels in enumerate(frames) if index % step == 0]
    count = 0
    cpu_start = time.process_time()
    for index, pixels in taken:
        now = index / fps
        processor.process(processor.make_private(RawFrame(pixels, index=index, captured_at=now), now), now, 0.0)
        count += 1
    cpu = time.process_time() - cpu_start
    return (cpu / (count / NODE_FPS) if count else float("nan")), count, detection.runs


def load_scenes(limit: int | None) -> list[tuple[str, str, Iterator[Pixels], float]]:
    """(name, budget key, frames, fps): a scene with people moving and an empty, still room."""
    scenes: list[tuple[str, str, Iterator[Pixels], float]] = []
    if VTEST.is_file():
        frames = (cast(Pixels, cv2.resize(f, (640, 480), interpolation=cv2.INTER_AREA))
                  for f in read_frames(VTEST, limit=limit or 600))
        scenes.append(("people moving (vtest)", "max_cpu_share_moving", frames, video_fps(VTEST)))
    empty = SyntheticScene(640, 480, NODE_FPS, scenario="noise")
    scenes.append(("empty still room (synthetic noise)", "max_cpu_share_empty",
                   _render(empty, min(limit or 600, 600)), NODE_FPS))
    return scenes


def check_budgets(result: RunResult, budgets: dict[str, dict[str, float]]) -> list[str]:
    summary = result.timings.summary()
    broken = []
    for stage, limits in budgets.items():
        if stage not in summary:
            broken.append(f"stage {stage} was never measured")
            continue
        for statistic, limit in limits.items():
            value = getattr(summary[stage], statistic)
            verdict = "OK " if value <= limit else "OVER"
            print(f"  budget {verdict} {stage}.{statistic} = {value:.3f} ms (limit {limit:g})")
            if value > limit:
                broken.append(f"{stage}.{statistic} = {value:.3f} ms > {limit:g} ms")
    return broken


def check_load(scenes: list[tuple[str, str, Iterator[Pixels], float]]) -> list[str]:
    limits = load_limits()
    broken = []
    for name, key, frames, fps in scenes:
        share, count, runs = node_load(frames, fps)
        limit = limits.get(key)
        verdict = "" if limit is None else (" OK " if share <= limit else " OVER") + f" (limit {limit:.0%})"
        print(f"  node load{verdict}: {share:.1%} of one core on {name}, {count} frames at {NODE_FPS:g} fps, "
              f"perception on {runs}")
        if limit is not None and share > limit:
            broken.append(f"node load on {name} = {share:.1%} > {limit:.0%}")
    return broken


def load_limits() -> dict[str, float]:
    table = tomllib.loads(BUDGETS_PATH.read_text(encoding="utf-8")).get("frames", {}).get("load", {})
    return {key: float(value) for key, value in table.items()}


def _results(result: RunResult, budgets: dict[str, dict[str, float]],
             captured: list[capture.CaptureFigures]) -> BenchResult:
    out = BenchResult("frames")
    for stage in STAGES:
        out.latency_stage(stage, result.timings.samples(stage), budgets.get(stage, {}))
    for name, values in result.reference_ms.items():
        out.latency_stage(f"motion reference ({name})", values, {})
    if result.frames:
        out.notes["fps one thread (wall)"] = round(result.frames / result.wall_s, 1)
        out.notes["CPU ms per frame"] = round(result.cpu_s * 1000 / result.frames, 3)
    limits = capture.capture_limits()
    for figures in captured:
        decoded = out.latency_stage(figures.key, figures.decode_ms, limits.get(figures.key, {}))
        decoded.figures.append(Figure("cpu_share", round(figures.cpu_share, 4), "share of one core",
                                    limits.get(figures.key, {}).get("max_cpu_share")))
    for name, q in result.quality.items():
        out.notes[f"motion onsets {name}: precision / recall / false per hour"] = (
            f"{q.precision:.3f} / {q.recall:.3f} / {q.false_per_hour:.1f}"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nattvakt bench frames", description="frame latency and motion quality")
    parser.add_argument("--quick", action="store_true", help="a few seconds of synthetic footage only (smoke test)")
    parser.add_argument("--limit", type=int, default=None, help="frames per real clip")
    parser.add_argument(
        "--clock", choices=["wall", "cpu"], default="wall",
        help="time stages by the monotonic wall clock (default) or by this thread's CPU time (on a loaded machine)",
    )
    parser.add_argument("--no-capture", action="store_true", help="skip the RTSP capture stage")
    parser.add_argument("--capture-seconds", type=float, default=10.0, help="seconds of camera stream per size")
    parser.add_argument("--results", type=Path, help="also write the figures as JSON (for `nattvakt bench all`)")
    args = parser.parse_args(argv)
    try:
        budgets = load_budgets("frames", STAGES)
        capture.capture_limits()
    except BudgetError as exc:
        print(f"bench frames: {exc}", file=sys.stderr)
        return 2
    cv2.setNumThreads(1)
    broken: list[str] = []
    captured: list[capture.CaptureFigures] = []
    if not args.no_capture:  # first, while nothing of this run has warmed the caches or the CPU
        capture_sizes = [(640, 480)] if args.quick else [(640, 480), (1920, 1080)]
        capture_broken, captured = capture.run(capture_sizes, 2.0 if args.quick else args.capture_seconds)
        broken += capture_broken
    sizes = [(640, 480)] if args.quick else [(640, 480), (1280, 720)]
    for width, height in sizes:
        result = RunResult()
        if args.quick:
            clips = synthetic_clips(width, height, 1, ("walk",))
            clips[0].frames = (f for i, f in enumerate(clips[0].frames) if i < 60)
            clips[0].truth = clips[0].truth[:60] if clips[0].truth else None
        else:
            cycles = 2 if width == 640 else 1
            clips = synthetic_clips(width, height, cycles, SCENARIOS if width == 640 else ("walk", "light_switch"))
            clips += real_clips(width, height, args.limit)
            if not gmdcsa24_clips():
                print("gmdcsa24: skipped, no ../shared/data/gmdcsa24 on this machine")
        clock = time.perf_counter if args.clock == "wall" else time.thread_time
        for clip in clips:
            run_clip(clip, result, clock)
        print(report(f"{width}x{height}, {len(clips)} clips, {args.clock} clock", result), flush=True)
        if (width, height) == (640, 480):
            broken += check_budgets(result, budgets)
            broken += check_load(load_scenes(60 if args.quick else None))
            if args.results:
                _results(result, budgets, captured).write(args.results)
    if broken:
        print("bench frames: budget broken: " + "; ".join(broken), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
