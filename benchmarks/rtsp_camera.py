"""A real RTSP camera on loopback for tests and the frame benchmark: `scripts/rtsp_test_server.py` as a child process.

GStreamer's RTSP server (Debian: gir1.2-gst-rtsp-server-1.0, python3-gi, installed by `make test`) rather than
`ffmpeg -rtsp_flags listen`: it checks a user and password, serves several clients, and outlives a client that
disconnects. The faults a real camera has are done to the process: a reboot is `stop()` then `start()` on the same
port, a hung camera is `stall()` (SIGSTOP: the TCP connection stays open, nothing arrives), a changed stream profile
is `resize()`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from nattvakt.childproc import die_with_parent
from nattvakt.redis_server import free_port

SERVER_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "rtsp_test_server.py"
SYSTEM_PYTHON = "/usr/bin/python3"
"""python3-gi is a Debian package: the server runs under Debian's Python, not the virtualenv's."""


def missing_server() -> str | None:
    """Why the RTSP test camera cannot run on this machine (a node box need not have GStreamer), or None."""
    probe = [SYSTEM_PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0')"]
    if not Path(SYSTEM_PYTHON).is_file() or subprocess.run(probe, capture_output=True).returncode != 0:
        return "GStreamer's RTSP server is not installed (apt install python3-gi gir1.2-gst-rtsp-server-1.0)"
    if shutil.which("gst-launch-1.0") is None:
        return "gst-launch-1.0 is not installed (apt install gstreamer1.0-tools gstreamer1.0-plugins-ugly)"
    return None


class RtspServerError(RuntimeError):
    """The RTSP test server could not start (GStreamer's RTSP server missing, or it died)."""


@dataclass
class RtspCamera:
    log: Path
    """Where the server's output goes (appended across restarts)."""
    user: str | None = None
    password: str | None = None
    digest: bool = False
    """Digest authentication, as most cameras ask for (Basic otherwise)."""
    path: str = "/cam"
    size: str = "320x240"
    alt_size: str = "640x360"
    """The size `resize()` switches to (and back)."""
    fps: int = 15
    codec: str = "h264"
    clip: Path | None = None
    """An H.264 MP4 served as it is (no encoding on this machine: for the benchmark)."""
    port: int = field(default_factory=free_port)
    _process: subprocess.Popen[bytes] | None = None

    def url(self, *, user: str | None = None, password: str | None = None, path: str | None = None) -> str:
        """The camera's URL with its own credentials, or with `user`/`password`/`path` instead."""
        user, password = user or self.user, password or self.password
        auth = f"{quote(user, safe='')}:{quote(password or '', safe='')}@" if user else ""
        return f"rtsp://{auth}127.0.0.1:{self.port}{path or self.path}"

    def start(self, timeout: float = 15.0) -> None:
        args = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(self.port), "--path", self.path, "--size", self.size,
                "--alt-size", self.alt_size, "--fps", str(self.fps), "--codec", self.codec]
        if self.user:
            args += ["--user", self.user, "--password", self.password or ""] + (["--digest"] if self.digest else [])
        if self.clip is not None:
            args += ["--clip", str(self.clip)]
        seen = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self._process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b"ready rtsp://" in self.log.read_bytes()[seen:]:
                return
            if self._process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RtspServerError(f"RTSP test server did not start on port {self.port}:\n{self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        """The camera goes away (power cut, reboot): its connections close."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGCONT)  # a stalled server cannot act on SIGTERM
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stall(self) -> None:
        """The camera hangs: connections stay open and nothing more arrives."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def resize(self) -> None:
        """The camera's stream switches between `size` and `alt_size` mid-stream (a profile edited in its web page)."""
        self._signal(signal.SIGUSR1)

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RtspServerError("the RTSP test server is not running")
        return self._process.pid

    def _signal(self, sig: signal.Signals) -> None:
        os.kill(self.pid, sig)
