"""Helpers that run Nattvakt parts as real child processes for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from nattvakt.childproc import die_with_parent


def nattvakt_env(**settings: str) -> dict[str, str]:
    """The current environment with NATTVAKT_* settings replaced by `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NATTVAKT_")}
    env.update({f"NATTVAKT_{key.upper()}": value for key, value in settings.items()})
    return env


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "nattvakt", *args], env=env, stdout=handle, stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent,
    )


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
