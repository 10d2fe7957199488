"""The frame benchmark's capture stage: decoding a real RTSP camera's H.264 stream, sub-stream and main stream.

vtest.avi's people, scaled to 640x480 (a camera's sub-stream) and 1920x1080 (its main stream), are encoded once with
x264 at a camera's bitrate and played at 25 fps (vtest's 10 fps footage re-timed, so motion per frame is larger than
real: pessimistic) by the RTSP test camera without re-encoding, so the server costs this machine almost nothing. The
node's own source (`NetworkSource`, RTSP over TCP) reads it; figures per size: decode ms per frame (this process's
CPU during each read: FFmpeg's decoder threads, the network read and the conversion to BGR) p50/p99, and the node's
CPU as a share of one core while it keeps up with the camera. Limits: `[frames.capture_<W>x<H>]` in budgets.toml.
"""

from __future__ import annotations

import subprocess
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.budgets import BUDGETS_PATH, BudgetError
from benchmarks.footage import VTEST, read_frames
from benchmarks.rtsp_camera import RtspCamera, missing_server
from camera_node.network_source import NetworkOptions, NetworkSource
from camera_node.source_check import measure_decode

CAMERA_FPS = 25
BITRATE_KBPS = {(640, 480): 768, (1920, 1080): 4096}
"""Bitrates cameras ship with for these sizes (H.264, main profile)."""
LIMIT_KEYS = ("p50_ms", "p99_ms", "max_cpu_share")


@dataclass
class CaptureFigures:
    size: tuple[int, int]
    codec: str
    frames: int
    decode_ms: list[float]
    cpu_share: float
    """Process CPU over wall time while reading at the camera's pace: the share of one core capture needs."""
    received_fps: float

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.decode_ms, q)) if self.decode_ms else float("nan")

    @property
    def key(self) -> str:
        return f"capture_{self.size[0]}x{self.size[1]}"


def encode_clip(size: tuple[int, int], frames: int, out: Path) -> Path:
    """vtest.avi scaled to `size`, H.264 in MP4 at `CAMERA_FPS`, through gst-launch-1.0's x264enc."""
    width, height = size
    command = [
        "gst-launch-1.0", "-q", "fdsrc", "fd=0", "!",
        "rawvideoparse", f"width={width}", f"height={height}", "format=bgr", f"framerate={CAMERA_FPS}/1", "!",
        "videoconvert", "!", "video/x-raw,format=I420", "!",
        "x264enc", "speed-preset=veryfast", f"bitrate={BITRATE_KBPS.get(size, 2048)}", f"key-int-max={CAMERA_FPS * 2}",
        "!", "video/x-h264,profile=main", "!", "h264parse", "!", "mp4mux", "!", "filesink", f"location={out}",
    ]
    encoder = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert encoder.stdin is not None
    written = 0
    while written < frames:  # loop vtest when it is shorter than asked for
        for frame in read_frames(VTEST, limit=frames - written):
            encoder.stdin.write(cv2.resize(frame, size, interpolation=cv2.INTER_AREA).tobytes())
            written += 1
    encoder.stdin.close()
    assert encoder.stderr is not None
    errors = encoder.stderr.read()
    encoder.wait(timeout=600)
    if encoder.returncode != 0 or not out.is_file():
        raise RuntimeError(f"encoding the {width}x{height} clip failed: {errors.decode(errors='replace')[-500:]}")
    return out


def measure(url: str, size: tuple[int, int], frames: int, warmup: int = 10) -> CaptureFigures:
    """Read `frames` frames (after `warmup`) from the camera at `url` the way the node does."""
    source = NetworkSource(url, NetworkOptions(open_timeout_s=20, read_timeout_s=10))
    source.open()
    try:
        width, height, _fps, codec = source.stream_info()
        for _ in range(warmup):
            source.read()
        decoded = measure_decode(source, frames)
    finally:
        source.close()
    if (width, height) != size:
        raise RuntimeError(f"the camera sent {width}x{height}, not {size[0]}x{size[1]}")
    return CaptureFigures(size, codec, len(decoded.decode_ms), decoded.decode_ms, decoded.cpu_share,
                          decoded.received_fps)


def capture_limits(path: Path = BUDGETS_PATH) -> dict[str, dict[str, float]]:
    """`[frames.capture_<W>x<H>]`: p50_ms and p99_ms of decode per frame, max_cpu_share of one core."""
    frames = tomllib.loads(path.read_text(encoding="utf-8")).get("frames", {})
    limits: dict[str, dict[str, float]] = {}
    for name, table in frames.items():
        if not name.startswith("capture_"):
            continue
        for key, value in table.items():
            if key not in LIMIT_KEYS or isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise BudgetError(f"budget frames.{name}.{key} must be one of {', '.join(LIMIT_KEYS)} and positive,"
                                  f" got {value!r}")
        limits[name] = {key: float(value) for key, value in table.items()}
    return limits


def check(figures: CaptureFigures, limits: dict[str, dict[str, float]]) -> list[str]:
    """Print the figures with their verdicts; return the broken budgets."""
    width, height = figures.size
    values = {"p50_ms": figures.percentile(50), "p99_ms": figures.percentile(99), "max_cpu_share": figures.cpu_share}
    print(f"== capture over RTSP, {width}x{height} {figures.codec} at {CAMERA_FPS} fps: {figures.frames} frames,"
          f" received {figures.received_fps:.1f} fps")
    print(f"  decode   p50 {values['p50_ms']:7.2f}  p99 {values['p99_ms']:7.2f}  mean"
          f" {float(np.mean(figures.decode_ms)):7.2f} ms per frame (process CPU during each read)")
    print(f"  node CPU for capture: {figures.cpu_share:.1%} of one core")
    broken: list[str] = []
    table = limits.get(figures.key)
    if table is None:
        print(f"  no budget [frames.{figures.key}]")
        return broken
    for key, limit in table.items():
        value = values[key]
        shown = f"{value:.1%} (limit {limit:.0%})" if key == "max_cpu_share" else f"{value:.2f} ms (limit {limit:g})"
        print(f"  budget {'OK ' if value <= limit else 'OVER'} {figures.key}.{key} = {shown}")
        if value > limit:
            broken.append(f"{figures.key}.{key} = {value:.3f} > {limit:g}")
    return broken


def run(sizes: list[tuple[int, int]], seconds: float) -> tuple[list[str], list[CaptureFigures]]:
    """Encode, serve and measure each size; returns broken budgets and the figures."""
    limits = capture_limits()
    broken: list[str] = []
    measured: list[CaptureFigures] = []
    why_not = missing_server()
    if why_not is not None:
        print(f"capture over RTSP: skipped, {why_not} (scripts/install-test-deps.sh installs it)")
        return broken, measured
    frames = int(seconds * CAMERA_FPS)
    with tempfile.TemporaryDirectory(prefix="nattvakt-capture-") as folder:
        for size in sizes:
            clip = encode_clip(size, frames + 3 * CAMERA_FPS, Path(folder) / f"{size[0]}x{size[1]}.mp4")
            camera = RtspCamera(log=Path(folder) / "rtsp.log", clip=clip, fps=CAMERA_FPS)
            camera.start()
            try:
                figures = measure(camera.url(), size, frames)
            finally:
                camera.stop()
            measured.append(figures)
            broken += check(figures, limits)
    return broken, measured
