"""Review fixes in process handling: a Redis that never answers is stopped; the demo's wait obeys Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nattvakt.demo import wait_healthy
from nattvakt.redis_server import RedisServerError, free_port, start_redis, wait_until_ready


def test_a_redis_that_accepts_but_never_answers_is_stopped_not_left_running(tmp_path: Path) -> None:
    server = start_redis(tmp_path / "redis", appendonly=False)
    server.process.send_signal(signal.SIGSTOP)  # the kernel still accepts connections; PING times out
    try:
        with pytest.raises(RedisServerError, match=r"did not answer within 1\.5 s"):
            wait_until_ready(server, 1.5)
        assert server.process.poll() is not None, "the frozen redis-server was stopped"
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def test_waiting_for_the_console_ends_as_soon_as_the_demo_is_told_to_stop() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    try:
        healthy = wait_healthy(f"http://127.0.0.1:{free_port()}/healthz", child, 30, stop)
    finally:
        child.kill()
        child.wait()
    assert not healthy
    assert time.monotonic() - started < 5, "Ctrl-C during start-up is not ignored for the whole 30 s"
