"""An IP camera (rtsp://, http(s)://) read through OpenCV's FFmpeg backend, with bounded waits.

A real camera drops, reboots, hangs with its connection open, or refuses the password. OpenCV waits 30 s by default
and says only "could not open"; here opening and reading have their own deadlines (a stalled picture becomes a lost
source that the capture thread reconnects), and a refused open asks the camera why (`rtsp_probe`). The URL's user
and password appear only in the call to OpenCV: `description` and every message carry the redacted form.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import cast

import cv2

from camera_node.errors import CaptureError
from camera_node.rtsp_probe import probe
from nattvakt.settings import NodeSettings, redact_url
from privacy.frames import Pixels

_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
_env_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class NetworkOptions:
    transport: str = "tcp"
    open_timeout_s: float = 10.0
    read_timeout_s: float = 5.0

    @classmethod
    def from_settings(cls, cfg: NodeSettings) -> NetworkOptions:
        return cls(cfg.source_transport, cfg.source_open_timeout_s, cfg.source_read_timeout_s)


class NetworkSource:
    """A camera URL; `read` raises `CaptureError` (cause `stalled`) when no frame came within the read timeout."""

    def __init__(self, url: str, options: NetworkOptions | None = None) -> None:
        self.description = redact_url(url)
        self._url = url
        self._options = options or NetworkOptions()
        self._cap: cv2.VideoCapture | None = None

    def open(self) -> None:
        cap = _open_capture(self._url, self._options)
        if not cap.isOpened():
            cap.release()
            refusal = probe(self._url, self._options.open_timeout_s) if self._url.lower().startswith("rtsp") else None
            if refusal is None:
                raise CaptureError(f"could not open camera {self.description!r}", cause="open_failed")
            raise CaptureError(f"could not open camera {self.description!r}: {refusal.message}", cause=refusal.cause)
        self._cap = cap

    def read(self) -> Pixels | None:
        if self._cap is None:
            raise CaptureError(f"camera {self.description!r} is not open")
        started = time.monotonic()
        try:
            ok, frame = self._cap.read()
        except cv2.error as exc:
            raise CaptureError(redact_url(f"reading {self.description!r} failed: {exc}"), cause="read_error") from exc
        waited = time.monotonic() - started
        # OpenCV's read timeout can hand back a frame the decoder still held; a wait this long is a stall all the same.
        if waited >= self._options.read_timeout_s:
            raise CaptureError(f"{self.description}: no frame for {waited:.1f} s (stream stalled)", cause="stalled")
        return cast(Pixels, frame) if ok else None

    def stream_info(self) -> tuple[int, int, float, str]:
        """Width, height, fps and codec (FourCC) the camera announced, for `nattvakt node --check-source`."""
        if self._cap is None:
            raise CaptureError(f"camera {self.description!r} is not open")
        fourcc = int(self._cap.get(cv2.CAP_PROP_FOURCC))
        codec = "".join(chr((fourcc >> shift) & 0xFF) for shift in (0, 8, 16, 24)).strip("\0 ") or "?"
        width, height = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        return width, height, float(self._cap.get(cv2.CAP_PROP_FPS)), codec

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _open_capture(url: str, options: NetworkOptions) -> cv2.VideoCapture:
    """OpenCV reads FFmpeg's protocol options from the environment at open time only: set them around the call."""
    timeout_us = int(options.read_timeout_s * 1_000_000)
    ours = f"rtsp_transport;{options.transport}|timeout;{timeout_us}" if url.lower().startswith("rtsp") else ""
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(options.open_timeout_s * 1000),
              cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(options.read_timeout_s * 1000)]
    with _env_lock:
        before = os.environ.get(_OPTIONS_ENV)
        if ours and before is None:  # an operator's own OPENCV_FFMPEG_CAPTURE_OPTIONS wins
            os.environ[_OPTIONS_ENV] = ours
        try:
            return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        except cv2.error as exc:
            raise CaptureError(redact_url(f"could not open camera {url!r}: {exc}"), cause="open_failed") from exc
        finally:
            if ours and before is None:
                del os.environ[_OPTIONS_ENV]
