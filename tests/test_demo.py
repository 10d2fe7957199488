"""`nattvakt demo` with no configuration: it starts everything, prints a login, and stops cleanly (also while waiting
for the console, and with a Redis that accepts but never answers)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from nattvakt.demo import wait_healthy
from nattvakt.redis_server import RedisServerError, free_port, start_redis, wait_until_ready
from tests.processes import nattvakt_env

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_demo_starts_everything_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = nattvakt_env(central__port=str(port), data_dir=str(tmp_path), database_url=f"sqlite:///{tmp_path}/d.db")
    env.pop("NATTVAKT_REDIS_URL", None)
    demo = subprocess.Popen(
        [sys.executable, "-m", "nattvakt", "demo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert demo.stdout is not None
    output: list[str] = []
    login = manager = None
    deadline = time.monotonic() + 60
    while (login is None or manager is None) and time.monotonic() < deadline:
        line = demo.stdout.readline()
        if not line:
            break
        output.append(line)
        if line.strip().startswith("Login:"):
            login = line.split()[1], line.split()[3]
        if line.strip().startswith("Manager:"):
            manager = line.split()[1], line.split()[3]
    assert login is not None and manager is not None, "".join(output)
    assert f"http://127.0.0.1:{port}/" in "".join(output)
    assert "Started embedded Redis" in "".join(output)

    children = _children(demo.pid)
    assert len(children) == 3, "redis, central and node"
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
        assert http.post("/api/login", json={"username": login[0], "password": login[1]}).status_code == 200
        deadline = time.monotonic() + 20
        while not http.get("/api/events").json():
            assert time.monotonic() < deadline, "no motion event from the sample camera"
            time.sleep(0.2)
        assert http.get("/api/followup").status_code == 403, "night staff do not see the follow-up"
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:  # the manager's follow-up page answers
        assert http.post("/api/login", json={"username": manager[0], "password": manager[1]}).status_code == 200
        assert http.get("/api/followup").json()["month"]

    demo.send_signal(signal.SIGTERM)
    assert demo.wait(30) == 0
    for pid in children:
        assert not _alive(pid), f"child {pid} outlived the demo"
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a server would; TIME_WAIT is fine
        sock.bind(("127.0.0.1", port))  # the console port is free for the next start


def test_demo_refuses_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = nattvakt_env(central__port=str(port), data_dir=str(tmp_path))
        result = subprocess.run(
            [sys.executable, "-m", "nattvakt", "demo"], env=env, capture_output=True, text=True, timeout=60, check=False
        )
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use; set NATTVAKT_CENTRAL__PORT" in result.stderr


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
