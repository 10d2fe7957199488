"""`nattvakt demo`: Redis (embedded when none is configured), central and one camera node.

Runs each part as a child process and owns them: Ctrl-C or SIGTERM stops every child,
and a child that dies takes the demo down with a message instead of leaving half a system.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from types import FrameType

from central.db import open_store
from central.demo_seed import seed_demo
from central.staff.service import upsert_staff
from nattvakt.childproc import die_with_parent
from nattvakt.consent_transport import master_key
from nattvakt.netcheck import ensure_port_free
from nattvakt.redis_server import RedisServer, start_redis
from nattvakt.settings import Settings, redact_url

log = logging.getLogger(__name__)

DEMO_USER = "natt"
DEMO_MANAGER = "chef"
"""A nurse_admin login too, so a manager can set consent and schedules and open the follow-up page."""


def _child_env(settings: Settings, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["NATTVAKT_REDIS_URL"] = redis_url
    env["NATTVAKT_DATABASE_URL"] = settings.database_url
    env["NATTVAKT_DATA_DIR"] = str(settings.data_dir)
    return env


def wait_healthy(url: str, child: subprocess.Popen[bytes], timeout: float, stop: threading.Event) -> bool:
    """True once `url` answers 200; False when the child exits, time runs out, or Ctrl-C/SIGTERM sets `stop`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None and not stop.is_set():
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        stop.wait(0.2)
    return False


def run_demo(settings: Settings) -> int:
    central = settings.central
    ensure_port_free(central.host, central.port, "NATTVAKT_CENTRAL__PORT")

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    redis_server: RedisServer | None = None
    children: list[subprocess.Popen[bytes]] = []
    try:
        if settings.redis_url:
            redis_url = settings.redis_url
        else:
            redis_server = start_redis(settings.data_dir / "redis")
            redis_url = redis_server.url
            print(f"Started embedded Redis at {redis_url}", flush=True)

        password = settings.demo_password.get_secret_value() if settings.demo_password else secrets.token_urlsafe(9)
        manager_password = secrets.token_urlsafe(9)
        engine, sessionmaker = open_store(settings.database_url)
        with sessionmaker() as db:
            upsert_staff(db, DEMO_USER, password, "night_staff", display_name="Nattpersonal (demo)")
            upsert_staff(db, DEMO_MANAGER, manager_password, "nurse_admin", display_name="Sjuksköterska (demo)")
            seed_demo(db, settings.node.node_id, settings.node.room, settings.central.home_zone)
        engine.dispose()

        master_key(settings, create=True)  # before the parts start: the node derives its event key from it
        env = _child_env(settings, redis_url)
        parts = ("central", "node")
        children = [
            subprocess.Popen([sys.executable, "-m", "nattvakt", part], env=env, preexec_fn=die_with_parent)
            for part in parts
        ]

        base = f"http://{central.host}:{central.port}"
        if not wait_healthy(f"{base}/healthz", children[0], 30, stop):
            if stop.is_set():
                return 0
            print("nattvakt demo: the console did not start; see the messages above", file=sys.stderr)
            return 1
        print(
            f"\nNattvakt is running.\n  Console:  {base}/\n  Login:    {DEMO_USER} / {password}   (night staff)\n"
            f"  Manager:  {DEMO_MANAGER} / {manager_password}   (nurse_admin: consent, schedules, follow-up)\n"
            f"  Camera:   node {settings.node.node_id} in room {settings.node.room}"
            f" ({redact_url(settings.node.source)})\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        while not stop.wait(0.5):
            for part, child in zip(parts, children, strict=True):
                if child.poll() is not None:
                    print(f"nattvakt demo: {part} exited with {child.returncode}; stopping", file=sys.stderr)
                    return 1
        return 0
    finally:
        _stop_children(children)
        if redis_server is not None:
            redis_server.stop()


def _stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

