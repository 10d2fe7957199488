"""Camera sources and the capture thread (latest frame wins, reconnect with backoff, the cause logged once).

The raw frame exists only here and in `privacy`; the capture thread hands out `RawFrame`
objects whose pixels nothing downstream can read. The thread never dies of a source's error:
whatever a backend raises counts as a lost source, and it reconnects after a backoff that grows
until a session yields a good frame again. A non-looping file ends the capture at its end.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import cv2
import numpy as np

from camera_node.errors import CaptureError as CaptureError  # re-exported: the source's callers catch it here
from camera_node.network_source import NetworkOptions, NetworkSource
from camera_node.rtsp_probe import REFUSED
from camera_node.synthetic import SCENARIOS, Scenario, SyntheticScene
from nattvakt.backoff import Backoff
from nattvakt.settings import NodeSettings, redact_url
from privacy.frames import Pixels, RawFrame

log = logging.getLogger(__name__)


class Source(Protocol):
    """A blocking frame source; `read` returns None when no frame could be had."""

    description: str

    def open(self) -> None: ...

    def read(self) -> Pixels | None: ...

    def close(self) -> None: ...


class SyntheticSource:
    """Renders the synthetic scene, paced at its fps."""

    def __init__(self, width: int, height: int, fps: float, scenario: Scenario = "walk") -> None:
        self.description = f"synthetic {scenario} {width}x{height}@{fps:g}"
        self._scene = SyntheticScene(width, height, fps, scenario=scenario)
        self._fps = fps
        self._index = 0
        self._next_due = 0.0

    def open(self) -> None:
        self._next_due = time.monotonic()

    def read(self) -> Pixels | None:
        _sleep_until(self._next_due)
        self._next_due += 1.0 / self._fps
        frame = self._scene.render(self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        pass


class OpenCVSource:
    """A file, V4L2 device index or network URL read through `cv2.VideoCapture`."""

    def __init__(self, spec: str, *, loop: bool) -> None:
        self.description = spec
        self.ended = False
        """True once a file read without `loop` has reached its end: there is nothing to reconnect to."""
        self._spec = spec
        self._loop = loop
        self._cap: cv2.VideoCapture | None = None
        self._is_file = not spec.isdigit() and "://" not in spec
        self._frame_s = 0.0
        self._next_due = 0.0

    def open(self) -> None:
        if self._is_file and not Path(self._spec).is_file():
            raise CaptureError(f"camera source file not found: {self._spec!r}")
        target: int | str = int(self._spec) if self._spec.isdigit() else self._spec
        cap = cv2.VideoCapture(target)
        if not cap.isOpened():
            cap.release()
            raise CaptureError(f"could not open camera source {self._spec!r}")
        fps = cap.get(cv2.CAP_PROP_FPS)
        self._frame_s = 1.0 / fps if self._is_file and 0 < fps < 240 else 0.0
        self._next_due = time.monotonic()
        self._cap = cap

    def read(self) -> Pixels | None:
        if self._cap is None:
            raise CaptureError(f"source {self._spec!r} is not open")
        if self._frame_s:
            _sleep_until(self._next_due)
            self._next_due = max(self._next_due + self._frame_s, time.monotonic() - self._frame_s)
        try:
            ok, frame = self._cap.read()
            if not ok and self._is_file:
                if not self._loop:
                    self.ended = True
                    return None
                ok, frame = self._rewind()
        except cv2.error as exc:
            raise CaptureError(f"reading {self._spec!r} failed: {exc}") from exc
        return cast(Pixels, frame) if ok else None

    def _rewind(self) -> tuple[bool, Any]:
        """Back to the first frame; some containers cannot seek, so reopen the file when seeking fails."""
        assert self._cap is not None
        if self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
            ok, frame = self._cap.read()
            if ok:
                return True, frame
        self.close()
        self.open()
        assert self._cap is not None
        ok, frame = self._cap.read()
        return bool(ok), frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def open_source(spec: str, *, width: int, height: int, fps: float, loop: bool,
                network: NetworkOptions | None = None) -> Source:
    """Factory: `synthetic` (or `synthetic:<scenario>`), a file path, a device index, or a camera URL."""
    if spec == "synthetic" or spec.startswith("synthetic:"):
        scenario = spec.partition(":")[2] or "walk"
        if scenario not in SCENARIOS:
            raise CaptureError(f"unknown synthetic scenario in {spec!r}; allowed: {', '.join(SCENARIOS)}")
        return SyntheticSource(width, height, fps, scenario)
    if "://" in spec:
        return NetworkSource(spec, network)
    return OpenCVSource(spec, loop=loop)


def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)


@dataclass(slots=True)
class CaptureStats:
    frames: int = 0
    """Good frames handed to the pipeline's slot."""
    dropped: int = 0
    """Frames replaced by a newer one before the pipeline took them (latest frame wins)."""
    reconnects: int = 0
    open_failures: int = 0
    """Attempts to open the source that failed (each followed by a backoff wait)."""
    bad_frames: int = 0
    """Frames skipped: empty, corrupt or of a pixel format we cannot convert."""
    converted: int = 0
    """Grey or BGRA frames converted to BGR."""
    size_changes: int = 0
    """Times the camera started sending frames of a new size (downstream state re-initialises)."""


class CaptureThread:
    """Reads a source in its own thread; `latest()` returns the newest unseen frame only."""

    def __init__(self, source: Source, *, max_backoff_s: float = 10.0, first_backoff_s: float | None = None,
                 refused_backoff_s: float | None = None) -> None:
        self.source = source
        self.stats = CaptureStats()
        self.finished = False
        """True once the source ended for good (a file without `loop`); the thread has stopped."""
        self.problem: str | None = None
        """Why no frames flow now (a `CaptureError.cause`: unauthorized, stalled, ...); None while they do."""
        self.problem_detail: str | None = None
        """The same as one line for people, credentials redacted."""
        first = min(0.5, max_backoff_s) if first_backoff_s is None else first_backoff_s
        self._retry = Backoff(first, max_backoff_s)
        # A refused password or path will not fix itself in seconds, and cameras lock accounts that keep guessing.
        self._refused_retry = Backoff(first, max(refused_backoff_s or max_backoff_s, first))
        self._logged: str | None = None
        self._cond = threading.Condition()
        self._latest: RawFrame | None = None
        self._shape: tuple[int, int] | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"capture {source.description}", daemon=True)

    @classmethod
    def for_node(cls, source: Source, cfg: NodeSettings) -> CaptureThread:
        return cls(source, max_backoff_s=cfg.source_retry_max_s, first_backoff_s=cfg.source_retry_first_s,
                   refused_backoff_s=cfg.source_refused_retry_max_s)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def latest(self, timeout: float) -> RawFrame | None:
        """Wait up to `timeout` for a frame newer than the last one taken."""
        with self._cond:
            if self._latest is None:
                self._cond.wait(timeout)
            frame, self._latest = self._latest, None
            return frame

    def _as_bgr(self, pixels: object) -> Pixels:
        """Grey and BGRA cameras are common; convert them rather than lose the picture."""
        if isinstance(pixels, np.ndarray) and pixels.dtype == np.uint8 and pixels.size:
            if pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 1):
                self.stats.converted += 1
                return cast(Pixels, cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR))
            if pixels.ndim == 3 and pixels.shape[2] == 4:
                self.stats.converted += 1
                return cast(Pixels, cv2.cvtColor(pixels, cv2.COLOR_BGRA2BGR))
        return cast(Pixels, pixels)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.source.open()
            except Exception as exc:  # CaptureError, or whatever a backend raises (cv2.error): retry, never die
                self.stats.open_failures += 1
                cause = exc.cause if isinstance(exc, CaptureError) else "open_failed"
                retry = self._refused_retry if cause in REFUSED else self._retry
                detail = str(exc) if isinstance(exc, CaptureError) else f"cannot open {self.source.description}: {exc}"
                self._wait_after(cause, detail, retry.next())
                continue
            good, cause, why = self._read_until_lost()
            self._close()
            if getattr(self.source, "ended", False):
                log.info("camera source %s ended after %d frame(s)", self.source.description, self.stats.frames)
                self.finished = True
                return
            if self._stopping.is_set():
                return
            self.stats.reconnects += 1
            if good:  # only a session that gave a frame proves the camera works: then start the backoff over
                self._retry.reset()
                self._refused_retry.reset()
                self._logged = None  # a new incident: say so, even for the same cause as last time
            delay = self._retry.next(grow=not good)
            # Never a tight loop, even when open works but reading does not.
            self._wait_after(cause, f"camera source {self.source.description} lost after {good} good frame(s): {why}",
                             delay)

    def _wait_after(self, cause: str, detail: str, delay: float) -> None:
        """Record why frames stopped and wait; log the cause once, not at every retry of the same failure."""
        self.problem, self.problem_detail = cause, redact_url(detail)
        if cause != self._logged:
            log.warning("%s; retrying with backoff (next attempt in %.1f s)", self.problem_detail, delay)
            self._logged = cause
        elif log.isEnabledFor(logging.DEBUG):
            log.debug("%s; still failing, next attempt in %.1f s", self.problem_detail, delay)
        self._stopping.wait(delay)

    def _close(self) -> None:
        try:
            self.source.close()
        except Exception:
            log.exception("closing camera source %s failed", self.source.description)

    def _read_until_lost(self) -> tuple[int, str, str]:
        """Read until the source fails: how many good frames this session gave, and why it ended (cause, words)."""
        good = 0
        while not self._stopping.is_set():
            try:
                pixels = self.source.read()
            except Exception as exc:  # CaptureError or a backend's own error (cv2.error): a lost source
                return good, exc.cause if isinstance(exc, CaptureError) else "read_error", str(exc)
            if pixels is None:
                return good, "closed", "the stream ended or the connection closed"
            try:
                frame = RawFrame(self._as_bgr(pixels), index=self.stats.frames, captured_at=time.time())
            except (TypeError, ValueError, cv2.error) as exc:
                self.stats.bad_frames += 1
                if self.stats.bad_frames <= 5 or self.stats.bad_frames % 100 == 0:
                    log.warning(
                        "skipping bad frame %d from %s: %s", self.stats.bad_frames, self.source.description, exc
                    )
                continue
            good += 1
            if self.problem is not None:
                log.info("%s: frames are flowing again (after: %s)", self.source.description, self.problem)
                self.problem = self.problem_detail = None
            if frame.shape != self._shape:
                if self._shape is not None:
                    self.stats.size_changes += 1
                    log.warning("%s: frame size changed %s -> %s", self.source.description, self._shape, frame.shape)
                self._shape = frame.shape
            with self._cond:
                if self._latest is not None:
                    self.stats.dropped += 1
                self._latest = frame
                self.stats.frames += 1
                self._cond.notify()
        return good, "stopped", "capture stopped"


def check_source_spec(spec: str) -> None:
    """Reject a source that can never work (a missing file, an unknown scheme) at start, naming it."""
    if spec == "synthetic" or spec.isdigit():
        return
    if spec.startswith("synthetic:"):
        if spec.partition(":")[2] not in SCENARIOS:
            raise CaptureError(f"unknown synthetic scenario in {spec!r}; allowed: {', '.join(SCENARIOS)}")
        return
    if "://" in spec:
        scheme = spec.split("://", 1)[0].lower()
        if scheme not in {"rtsp", "rtsps", "http", "https"}:
            raise CaptureError(
                f"unsupported camera source scheme {scheme!r} in {redact_url(spec)!r};"
                " use rtsp, http(s), a file or an index"
            )
        return
    if not Path(spec).is_file():
        raise CaptureError(f"camera source file not found: {spec!r}")
