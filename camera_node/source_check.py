"""`nattvakt node --check-source [URL]`: open a camera as the node would and say what it sends and what it costs.

An installer at the camera needs one command that answers "is this URL right, and is it the sub-stream?" before the
node runs: it opens the stream with the node's timeouts, prints resolution, fps and codec, reads a few seconds and
prints the decode time per frame and the share of a core it takes. The URL is printed redacted.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from camera_node.errors import CaptureError
from camera_node.network_source import NetworkOptions, NetworkSource

SUB_STREAM_MAX_WIDTH = 1280
"""Wider than this is a main stream: the node scales it down anyway, so the decoding is wasted."""


@dataclass(slots=True)
class DecodeFigures:
    decode_ms: list[float]
    """This process's CPU during each read (decoder threads, socket, conversion to BGR), per frame."""
    cpu_share: float
    """Process CPU over wall time while reading at the camera's pace: the share of one core capture needs."""
    received_fps: float

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.decode_ms, q)) if self.decode_ms else float("nan")


def measure_decode(source: NetworkSource, frames: int) -> DecodeFigures:
    """Read up to `frames` frames from an open source, timing each by the process's CPU clock."""
    decode_ms: list[float] = []
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for _ in range(frames):
        before = time.process_time()
        if source.read() is None:
            break
        decode_ms.append((time.process_time() - before) * 1000)
    wall = max(time.perf_counter() - wall_start, 1e-6)
    return DecodeFigures(decode_ms, (time.process_time() - cpu_start) / wall, len(decode_ms) / wall)


def check_source(url: str, options: NetworkOptions, seconds: float = 3.0, out: TextIO = sys.stdout) -> int:
    """Print what the camera at `url` sends and what decoding it costs; 0 when frames came, 1 otherwise."""
    source = NetworkSource(url, options)
    print(f"camera {source.description}", file=out)
    started = time.perf_counter()
    try:
        source.open()
        opened_s = time.perf_counter() - started
        width, height, fps, codec = source.stream_info()
        print(f"  opened in {opened_s:.1f} s: {width}x{height} {codec}, {fps:g} fps announced", file=out)
        source.read()  # the first frame carries the decoder's start-up: not a frame's cost
        figures = measure_decode(source, max(5, round(seconds * (fps if 0 < fps < 120 else 25))))
    except CaptureError as exc:
        print(f"  FAILED ({exc.cause}): {exc}", file=out)
        return 1
    finally:
        source.close()
    if not figures.decode_ms:
        print("  FAILED: the camera opened but sent no frame", file=out)
        return 1
    print(f"  {len(figures.decode_ms)} frames at {figures.received_fps:.1f} fps; decode {figures.percentile(50):.1f} ms"
          f" per frame p50, {figures.percentile(99):.1f} ms p99; {figures.cpu_share:.0%} of one core", file=out)
    if width > SUB_STREAM_MAX_WIDTH:
        print(f"  hint: {width}x{height} is a main stream; the camera's sub-stream (640x480 or so) is all the node"
              " needs and costs a fraction to decode (docs/node-install.md)", file=out)
    print("  ok", file=out)
    return 0
