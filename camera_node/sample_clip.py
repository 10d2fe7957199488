"""Render a synthetic scene to a video file: sample footage for images, demos and tests without a camera.

`python -m camera_node.sample_clip OUT.avi [--scenario walk] [--seconds 60] [--fps 10] [--size 640x480]`
writes Motion-JPEG in AVI (every OpenCV build reads it back; no codec licences involved).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2

from camera_node.synthetic import SCENARIOS, SyntheticScene


def write_clip(path: Path, scenario: str, seconds: float, fps: float, size: tuple[int, int]) -> int:
    """Write the clip; returns the number of frames. Raises OSError when the file cannot be written."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; allowed: {', '.join(SCENARIOS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    scene = SyntheticScene(size[0], size[1], fps, scenario=scenario)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
    if not writer.isOpened():
        raise OSError(f"cannot write a video to {path}")
    frames = max(1, round(seconds * fps))
    try:
        for index in range(frames):
            writer.write(scene.render(index))
    finally:
        writer.release()
    return frames


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    try:
        return int(width), int(height)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 640x480, got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m camera_node.sample_clip", description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--scenario", default="walk", choices=SCENARIOS)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--size", type=_size, default=(640, 480))
    args = parser.parse_args(argv)
    try:
        frames = write_clip(args.out, args.scenario, args.seconds, args.fps, args.size)
    except (OSError, ValueError) as exc:
        print(f"sample_clip: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {frames} frames of {args.scenario!r} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
