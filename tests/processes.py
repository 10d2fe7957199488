"""Helpers that run Nattvakt parts as real child processes for end-to-end tests."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from benchmarks.children import child_env as nattvakt_env
from benchmarks.children import spawn_part as spawn
from nattvakt.settings import Settings

__all__ = ["central_running", "nattvakt_env", "running", "spawn", "stop", "wait_http"]


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> int:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"process exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s:\n{log.read_text()}")


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path, health_url: str | None = None) -> Iterator[
    subprocess.Popen[bytes]
]:
    process = spawn(args, env, log)
    try:
        if health_url:
            wait_http(health_url, process, log)
        yield process
    finally:
        stop(process)


@contextmanager
def central_running(settings: Settings, folder: Path, **extra: str) -> Iterator[str]:
    """A real central process on `settings` (and `extra` settings, as `nattvakt_env` takes them), its data and log
    in `folder`; yields its base URL once it is healthy."""
    env = nattvakt_env(
        redis_url=settings.redis_url_or_default(), database_url=settings.database_url, data_dir=str(folder),
        events_stream=settings.events_stream, central__port=str(settings.central.port), **extra,
    )
    base = f"http://127.0.0.1:{settings.central.port}"
    with running(["central"], env, folder / "central.log", health_url=f"{base}/healthz"):
        yield base
