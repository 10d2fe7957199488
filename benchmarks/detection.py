"""Perception benchmark: latency against `budgets.toml`, and what a privacy filter in front would cost a detector.

Latency, on raw 768x576 vtest frames (perception runs on raw frames inside `privacy`) at 1 and 2 threads: the
pose model alone, NanoDet-g int8 alone, and `Perceiver.perceive()` as the node runs it (pose every look, the box
detector every 2nd look or every look while it sees people the pose model does not — on vtest's crowd, every
look). The budget ([detection.latency]) applies to the node's perceiver at 2 threads. Exits 1 when it is broken.

Quality: no person ground truth for vtest.avi ships in any package we can install, so this measures agreement:
the reference is fp32 NanoDet on the *raw* frame (score ≥ 0.6 = a person; ≥ 0.3 = plausibly one). For each model
on raw and on private frames (the real `PrivacyFilter`, fed every frame in order so its held face boxes are right)
at the node's threshold 0.5: recall = share of reference people found (IoU ≥ 0.5); precision = share of
detections that match a plausible reference box. On vtest.avi and, when present, the GMDCSA24 bedroom clips.

    python -m benchmarks.detection [--quick]      or      nattvakt bench detection [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.budgets import BudgetError, load_budgets
from benchmarks.footage import VTEST, Pixels, gmdcsa24_dir, read_frames
from benchmarks.matching import Agreement
from benchmarks.results import BenchResult
from camera_node.timing import summarise
from nattvakt.geometry import Box
from privacy import PrivacyFilter, RawFrame
from privacy.detector import DEFAULT_MODEL, DetectionResult, NanoDetDetector
from privacy.detector.nanodet import MODELS_DIR
from privacy.perception import BOX_SCORE, Perceiver
from privacy.pose import PoseModel

MODELS = ("nanodet-g.onnx", "nanodet-g.int8.onnx")
THRESHOLD = 0.5
REFERENCE_SURE = 0.6
REFERENCE_PLAUSIBLE = 0.3


def _line(agreement: Agreement) -> str:
    return (f"recall {agreement.recall:.3f} ({agreement.found}/{agreement.reference})  "
            f"precision {agreement.precision:.3f}")


def _boxes(result: DetectionResult, threshold: float) -> list[Box]:
    return [(d.x1, d.y1, d.x2, d.y2) for d in result.detections if d.score >= threshold]


NODE = "perception (node)"


def _runners(threads: int) -> dict[str, Callable[[Pixels], object]]:
    pose = PoseModel(threads=threads)
    boxes = NanoDetDetector(DEFAULT_MODEL, threads=threads, score_threshold=BOX_SCORE)
    perceiver = Perceiver(pose, boxes, box_every=2)
    return {
        "pose model": pose.perceive,
        DEFAULT_MODEL.name: lambda pixels: boxes.detect_pixels(pixels, 0, 0.0),
        NODE: perceiver.perceive,
    }


def measure_latency(
    frames: list[Pixels], repeats: int, samples: dict[tuple[str, int], list[float]] | None = None
) -> dict[tuple[str, int], tuple[float, float]]:
    """p50/p99 ms per (what, threads); the raw times go into `samples` when given."""
    out = {}
    for threads in (1, 2):
        for name, run in _runners(threads).items():
            for frame in frames[:5]:
                run(frame)
            times = []
            for _ in range(repeats):
                for frame in frames:
                    start = time.perf_counter()
                    run(frame)
                    times.append((time.perf_counter() - start) * 1000)
            summary = summarise(np.asarray(times))
            out[(name, threads)] = (summary.p50_ms, summary.p99_ms)
            if samples is not None:
                samples[(name, threads)] = times
            print(f"  {name:22s} {threads} thread(s): p50 {summary.p50_ms:6.1f} ms  p99 {summary.p99_ms:6.1f} ms")
    return out


def measure_agreement(video: Path, every: int, limit: int | None, tally: dict[str, Agreement]) -> None:
    """Feed every frame to one PrivacyFilter (as a node would); detect on every `every`-th."""
    detectors = {name: NanoDetDetector(MODELS_DIR / name, threads=2, score_threshold=REFERENCE_PLAUSIBLE)
                 for name in MODELS}
    privacy = PrivacyFilter()
    for index, pixels in enumerate(read_frames(video, limit=limit)):
        private = privacy.make_private(RawFrame(pixels, index=index, captured_at=index / 10))
        if index % every:
            continue
        # Raw pixels go to the model only here, to measure what the privacy filter costs; the node never does this.
        raw_results = {name: detector.detect_pixels(pixels, index, 0.0) for name, detector in detectors.items()}
        plausible = _boxes(raw_results["nanodet-g.onnx"], REFERENCE_PLAUSIBLE)
        sure = _boxes(raw_results["nanodet-g.onnx"], REFERENCE_SURE)
        for name, detector in detectors.items():
            tally[f"{name} raw"].add(sure, plausible, _boxes(raw_results[name], THRESHOLD))
            tally[f"{name} private"].add(sure, plausible, _boxes(detector.detect(private), THRESHOLD))


def _new_tally() -> dict[str, Agreement]:
    return {f"{name} {kind}": Agreement(least=0.5) for name in MODELS for kind in ("raw", "private")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nattvakt bench detection", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames: a smoke run, not a measurement")
    parser.add_argument("--latency-only", action="store_true", help="skip the agreement measurement")
    parser.add_argument("--results", type=Path, help="also write the figures as JSON (for `nattvakt bench all`)")
    args = parser.parse_args(argv)
    try:
        budget = load_budgets("detection", ("latency",))["latency"]
    except BudgetError as exc:
        print(f"bench detection: {exc}", file=sys.stderr)
        return 2
    if not VTEST.exists():
        print(f"bench detection: {VTEST} is missing (apt-get install opencv-doc)", file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} cores" + ("  (busy machine: latency will read high)"
                                                                     if load > 0.5 else ""))

    sample = list(read_frames(VTEST, limit=40 if args.quick else 120))[:: 2 if args.quick else 3]
    print(f"latency on {len(sample)} raw vtest frames (768x576):")
    samples: dict[tuple[str, int], list[float]] = {}
    latency = measure_latency(sample, repeats=1 if args.quick else 3, samples=samples)
    if args.results:
        results = BenchResult("detection")
        for (name, threads), times in samples.items():
            limits = budget if (name, threads) == (NODE, 2) else {}
            results.latency_stage(f"{name} @{threads} thread(s)", times, limits)
        results.notes["load average at start"] = round(load, 2)
        results.write(args.results)

    if not args.latency_only:
        _report_agreement(quick=args.quick)
    return _check_budget(latency, budget)


def _report_agreement(*, quick: bool) -> None:
    print(f"agreement with fp32 on raw frames (people: score ≥ {REFERENCE_SURE}; plausible: ≥ {REFERENCE_PLAUSIBLE}),"
          f" at threshold {THRESHOLD}:")
    vtest = _new_tally()
    measure_agreement(VTEST, every=4, limit=200 if quick else None, tally=vtest)
    for key, agreement in vtest.items():
        print(f"  vtest    {key:30s} {_line(agreement)}")
    clips_dir = gmdcsa24_dir()
    if clips_dir is None:
        print("  bedroom  skipped: GMDCSA24 clips not found (../shared/data/gmdcsa24 or NATTVAKT_FOOTAGE_DIR)")
    else:
        bedroom = _new_tally()
        clips = sorted(clips_dir.glob("*.mp4"))[: 4 if quick else None]
        for clip in clips:
            measure_agreement(clip, every=5, limit=None, tally=bedroom)
        for key, agreement in bedroom.items():
            print(f"  bedroom  {key:30s} {_line(agreement)}  ({len(clips)} clips)")


def _check_budget(latency: dict[tuple[str, int], tuple[float, float]], budget: dict[str, float]) -> int:
    p50, p99 = latency[(NODE, 2)]
    broken = [f"{stat} {value:.1f} ms > {budget[stat]:.1f} ms"
              for stat, value in (("p50_ms", p50), ("p99_ms", p99)) if stat in budget and value > budget[stat]]
    if broken:
        print(f"OVER BUDGET: {NODE} at 2 threads: {'; '.join(broken)}", file=sys.stderr)
        return 1
    print(f"within budget: {NODE} at 2 threads p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
