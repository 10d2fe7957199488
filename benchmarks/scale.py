"""Scale benchmark: many simulated camera nodes against one real central, one Redis and one PostgreSQL.

`python -m benchmarks.scale` or `nattvakt bench scale [--profile stress|realistic]`. Two load profiles:

- *stress* (the default, 200 nodes unless `--nodes`): every node publishes one motion event every 2 s, one console
  follows the feed. Budgets `[scale.*]`.
- *realistic* (1,000 nodes unless `--nodes`): a night in a municipality. Every node beats every 5 s and has its
  control channel open; a room has a handful of events a night (one motion event per `NIGHT_EVENT_S` on average, at
  random); and a whole unit (`UNIT_ROOMS` rooms) wakes up together every `BURST_EVERY_S`, each of its rooms sending
  a bed exit (open, then ended a few seconds later, both revisions shown) and a motion event within a few seconds.
  Only the bursts are more frequent than in a real night, so that a one-minute window holds several. `CONSOLES`
  consoles follow the feed, and every event's latency is taken at every one of them. Budgets `[scale_realistic.*]`.

Starts a private redis-server, a fresh PostgreSQL database
on 127.0.0.1:5432 (dropped at the end) and one real central (`nattvakt central`, uvicorn). This process simulates
the nodes, without video: each keeps the real control channel (`camera_node.control_channel.ControlChannel`, its
own derived token) open to central, beats through the real `HeartbeatSender`, and publishes motion events with the
publisher's idempotent XADD at a steady rate. A logged-in night nurse follows central's server-sent feed; each
event's latency runs from just before its XADD to its arrival there. Meanwhile the nurse opens look-ins one after
another on a few consented rooms (an on_floor event each): the simulated node answers with a minimal aiortc SDP
answer, and the signalling round trip is `POST /api/lookins` to central's 201 with the answer (no media flows).
Central's CPU (share of one core, /proc over the steady window) and peak RSS are read from /proc.

Exits 1 when a figure breaks `[scale.*]` in `benchmarks/budgets.toml`, 2 when the setup fails (PostgreSQL not
reachable, central does not start, the nodes cannot connect).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import redis.asyncio as aioredis
from pydantic import BaseModel

from benchmarks.budgets import BUDGETS_PATH, BudgetError, load_budgets
from benchmarks.children import child_env, consent_terms, cpu_seconds, spawn_part, stop_part
from benchmarks.console_feed import feed_events
from benchmarks.results import BenchResult, Figure
from camera_node.control_channel import ControlChannel
from camera_node.heartbeat import HeartbeatSender
from nattvakt.bus import idempotent_xadd, publish_once
from nattvakt.events import Event, Origin, Severity
from nattvakt.lookin_protocol import CONTROL_PATH, Answer, Close, FromCentral, Hello, Offer, Stopped
from nattvakt.node_token import derive_node_token
from nattvakt.redis_server import free_port, start_redis
from privacy.event_signing import signer_for

ADMIN_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"
STREAM = "scale:events"
PASSWORD = "skala-lösenord-123"
LOOKIN_ROOMS = 8
EVENT_INTERVAL_S = 2.0
"""Stress: each node's steady event interval."""
HEARTBEAT_S = 5.0
NIGHT_EVENT_S = 7200.0
"""Realistic: mean time between a room's own events (five in a ten-hour night)."""
UNIT_ROOMS = 20
BURST_EVERY_S = 10.0
"""Realistic: a unit of this many rooms wakes up together this often."""
BURST_SPREAD_S = 3.0
BED_EXIT_ENDS_AFTER_S = 4.0
CONSOLES = 20
"""Realistic: open consoles following the feed."""
PROFILES = {"stress": ("scale", 200, 1), "realistic": ("scale_realistic", 1000, CONSOLES)}
"""Profile -> (budgets section, default nodes, default consoles)."""


class SetupError(RuntimeError):
    """The benchmark could not set up its parts; the message says which and why."""


@dataclass
class Run:
    """What the measurement collects."""

    run_id: str
    event_ms: list[float] = field(default_factory=list)
    """Each measured event revision's latency at each console."""
    signalling_ms: list[float] = field(default_factory=list)
    sent: int = 0
    """Event revisions published in the measured window (marked so in their details)."""
    lookin_failures: list[str] = field(default_factory=list)
    seen: dict[str, asyncio.Event] = field(default_factory=dict)
    measuring: bool = False
    loop_lag_ms: list[float] = field(default_factory=list)
    """How late this process's own 20 ms ticks ran: a stall here too means the machine, not central, was busy."""


# -- processes and /proc -------------------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(admin_dsn: str) -> Iterator[str]:
    """A uniquely named PostgreSQL database, dropped afterwards; SetupError when PostgreSQL is not reachable."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    name = f"nattvakt_scale_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(admin_dsn, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        raise SetupError(f"PostgreSQL is not reachable ({admin_dsn!r}; the benchmark creates and drops its own "
                         f"database there): {str(exc).strip()}") from exc
    where = conninfo_to_dict(admin_dsn)
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield (f"postgresql+psycopg://{where.get('user', 'postgres')}@{where.get('host', '127.0.0.1')}:"
               f"{where.get('port', 5432)}/{name}")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_central(env: dict[str, str], base: str, log: Path) -> subprocess.Popen[bytes]:
    process = spawn_part(["central"], env, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-1500:]
            raise SetupError(f"central exited with {process.returncode} while starting:\n{tail}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    process.wait(10)
    raise SetupError(f"central did not answer {base}/healthz within 60 s; see its log above:\n"
                     f"{log.read_text(errors='replace')[-1500:]}")


# -- the simulated nodes -------------------------------------------------------------------------------------------


async def sdp_pair() -> tuple[str, str]:
    """A browser-like receive-only offer and a minimal aiortc answer to it (made once, reused: no media flows)."""
    from aiortc import RTCPeerConnection

    browser, node = RTCPeerConnection(), RTCPeerConnection()
    try:
        browser.addTransceiver("video", direction="recvonly")
        await browser.setLocalDescription(await browser.createOffer())
        await node.setRemoteDescription(browser.localDescription)
        await node.setLocalDescription(await node.createAnswer())
        return str(browser.localDescription.sdp), str(node.localDescription.sdp)
    finally:
        await browser.close()
        await node.close()


class SimNode:
    """One camera node without a camera: control channel, heartbeats and a steady trickle of events."""

    def __init__(self, node_id: str, room: str, master: bytes, control_url: str, redis_url: str,
                 answer_sdp: str) -> None:
        self.node_id, self.room = node_id, room
        self._answer_sdp = answer_sdp
        self._opened: dict[str, float] = {}
        token = derive_node_token(master, node_id)
        self.sign = signer_for(master, node_id)
        self.channel = ControlChannel(control_url, lambda: Hello(node_id=node_id, room=room), lambda: token,
                                      self.handle)
        self.heartbeat = HeartbeatSender(redis_url, STREAM, Origin(node_id, room), HEARTBEAT_S)

    async def handle(self, message: FromCentral) -> BaseModel | None:
        if isinstance(message, Offer):
            self._opened[message.lookin_id] = time.monotonic()
            return Answer(lookin_id=message.lookin_id, sdp=self._answer_sdp, level=message.level or "pixelate",
                          max_duration_s=message.max_duration_s)
        if isinstance(message, Close):
            opened = self._opened.pop(message.lookin_id, time.monotonic())
            return Stopped(lookin_id=message.lookin_id, why=message.why, duration_s=time.monotonic() - opened)
        return None  # a consent copy: a real node verifies and keeps it

    def start(self) -> None:
        self.channel.start()
        self.heartbeat.start()

    async def stop(self) -> None:
        await self.channel.stop()
        await self.heartbeat.stop()


async def publish(bus: aioredis.Redis, run: Run, node: SimNode, event: Event) -> None:
    """XADD one revision, signed as `node`, stamped with its send time and whether it falls in the measured window."""
    measured = run.measuring
    stamped = event.model_copy(update={"details": {**event.details, "t": time.time(), "run": run.run_id,
                                                   "measured": measured}})
    await publish_once(bus, idempotent_xadd(bus), STREAM, stamped, 100_000, node.sign)
    if measured:
        run.sent += 1


def motion(node: SimNode) -> Event:
    return Event(node=node.node_id, room=node.room, kind="motion", severity=Severity.INFO, state="ended")


async def steady_events(node: SimNode, bus: aioredis.Redis, run: Run, until: float) -> None:
    """Stress: one motion event every EVENT_INTERVAL_S, at a random phase, on an absolute schedule (no drift)."""
    due = time.monotonic() + random.uniform(0, EVENT_INTERVAL_S)
    while True:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        if time.monotonic() >= until:
            return
        await publish(bus, run, node, motion(node))
        due += EVENT_INTERVAL_S


async def night_events(node: SimNode, bus: aioredis.Redis, run: Run, until: float) -> None:
    """Realistic: a room's own events, at random (a Poisson process of a handful a night)."""
    due = time.monotonic() + random.expovariate(1 / NIGHT_EVENT_S)
    while due < until:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        await publish(bus, run, node, motion(node))
        due += random.expovariate(1 / NIGHT_EVENT_S)


async def wake_up(node: SimNode, bus: aioredis.Redis, run: Run) -> None:
    """One room of a waking unit: out of bed (open, then ended), and motion."""
    await asyncio.sleep(random.uniform(0, BURST_SPREAD_S))
    bed_exit = Event(node=node.node_id, room=node.room, kind="bed_exit", severity=Severity.MEDIUM)
    await publish(bus, run, node, bed_exit)
    await asyncio.sleep(random.uniform(0, BURST_SPREAD_S))
    await publish(bus, run, node, motion(node))
    await asyncio.sleep(BED_EXIT_ENDS_AFTER_S)
    await publish(bus, run, node, bed_exit.model_copy(update={"state": "ended", "seq": bed_exit.seq + 1}))


async def unit_bursts(nodes: list[SimNode], bus: aioredis.Redis, run: Run, until: float) -> None:
    """Realistic: every BURST_EVERY_S a whole unit (UNIT_ROOMS neighbouring rooms) wakes up together."""
    units = [nodes[i:i + UNIT_ROOMS] for i in range(0, len(nodes), UNIT_ROOMS)]
    waking: list[asyncio.Task[None]] = []
    await asyncio.sleep(random.uniform(0, BURST_EVERY_S))
    while time.monotonic() < until - BURST_SPREAD_S * 2 - BED_EXIT_ENDS_AFTER_S:
        waking.extend(asyncio.create_task(wake_up(node, bus, run)) for node in random.choice(units))
        await asyncio.sleep(BURST_EVERY_S)
    await asyncio.gather(*waking)


async def watch_loop_lag(run: Run) -> None:
    while True:
        before = time.monotonic()
        await asyncio.sleep(0.02)
        if run.measuring:
            run.loop_lag_ms.append((time.monotonic() - before - 0.02) * 1000)


# -- the console's side --------------------------------------------------------------------------------------------


async def follow_feed(base: str, cookies: httpx.Cookies, run: Run, ready: asyncio.Event) -> None:
    """Central's server-sent feed as the console follows it; records each bench event's latency."""
    async for received, event in feed_events(base, cookies, ready):
        details = event.get("details") or {}
        if event["id"] in run.seen:
            run.seen[event["id"]].set()
        elif details.get("run") == run.run_id and details.get("measured"):
            run.event_ms.append((received - float(details["t"])) * 1000)


async def own_login(base: str) -> httpx.Cookies:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        (await client.post("/api/login", json={"username": "nils", "password": PASSWORD})).raise_for_status()
        return client.cookies


async def consent_rooms(nurse: httpx.AsyncClient, nodes: list[SimNode]) -> None:
    for node in nodes:
        made = await nurse.post("/api/recipients", json={"name": f"Bench {node.room}", "room": node.room})
        made.raise_for_status()
        rid = made.json()["id"]
        (await nurse.post(f"/api/recipients/{rid}/consent", json=consent_terms())).raise_for_status()
        (await nurse.put(f"/api/nodes/{node.node_id}", json={"recipient_id": rid})).raise_for_status()


async def one_lookin(night: httpx.AsyncClient, bus: aioredis.Redis, node: SimNode, offer_sdp: str,
                     run: Run) -> float:
    """An on_floor event on `node`, once central shows it: open a look-in, close it; the signalling time in ms."""
    event = Event(node=node.node_id, room=node.room, kind="on_floor", severity=Severity.HIGH)
    seen = run.seen[event.id] = asyncio.Event()
    await publish_once(bus, idempotent_xadd(bus), STREAM, event, 100_000, node.sign)
    await asyncio.wait_for(seen.wait(), 10)
    clicked = time.monotonic()
    response = await night.post("/api/lookins", json={"sdp": offer_sdp, "event_id": event.id})
    took = (time.monotonic() - clicked) * 1000
    if response.status_code != 201:
        raise RuntimeError(f"{response.status_code} {response.headers.get('x-lookin-refusal')} {response.text[:200]}")
    lookin_id = response.json()["lookin_id"]
    await night.post(f"/api/lookins/{lookin_id}/close")
    for _ in range(100):  # the node reports its stop; only then is the room free again
        state = (await night.get(f"/api/lookins/{lookin_id}/state")).json()
        if not state["live"]:
            break
        await asyncio.sleep(0.05)
    await night.post(f"/api/events/{event.id}/ack")
    return took


async def lookin_loop(night: httpx.AsyncClient, bus: aioredis.Redis, rooms: list[SimNode], offer_sdp: str,
                      run: Run, until: float, pause_s: float) -> None:
    i = 0
    while time.monotonic() < until:
        node = rooms[i % len(rooms)]
        i += 1
        try:
            run.signalling_ms.append(await one_lookin(night, bus, node, offer_sdp, run))
        except (RuntimeError, TimeoutError, httpx.HTTPError) as exc:
            run.lookin_failures.append(f"{node.node_id}: {type(exc).__name__} {exc}")
        await asyncio.sleep(pause_s)


async def measure(base: str, redis_url: str, master: bytes, central_pid: int, n_nodes: int,
                  seconds: float, profile: str, consoles: int) -> dict[str, Any]:
    run = Run(secrets.token_hex(6))
    offer_sdp, answer_sdp = await sdp_pair()
    control = base.replace("http://", "ws://") + CONTROL_PATH
    nodes = [SimNode(f"scale-{i:03d}", f"rum-{i:03d}", master, control.format(node_id=f"scale-{i:03d}"),
                     redis_url, answer_sdp) for i in range(n_nodes)]
    rooms = nodes[:min(LOOKIN_ROOMS, n_nodes)]
    # Blocking: more publishers than connections wait their turn instead of failing (MaxConnectionsError).
    bus = aioredis.Redis(connection_pool=aioredis.BlockingConnectionPool.from_url(
        redis_url, decode_responses=True, max_connections=200, timeout=None))
    async with httpx.AsyncClient(base_url=base, timeout=30) as nurse, \
            httpx.AsyncClient(base_url=base, timeout=30) as night:
        for client, user in ((nurse, "sara"), (night, "nils")):
            (await client.post("/api/login", json={"username": user, "password": PASSWORD})).raise_for_status()
        await consent_rooms(nurse, rooms)
        ready = [asyncio.Event() for _ in range(consoles)]
        logins = [night.cookies] + [await own_login(base) for _ in range(consoles - 1)]  # a nurse each
        feeds = [asyncio.create_task(follow_feed(base, cookies, run, r))
                 for cookies, r in zip(logins, ready, strict=True)]
        lag = asyncio.create_task(watch_loop_lag(run))
        try:
            await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 10 + consoles)
            connect_started = time.monotonic()
            for node in nodes:
                node.start()
            try:
                await asyncio.wait_for(asyncio.gather(*(n.channel.connected.wait() for n in nodes)),
                                       max(30.0, n_nodes / 5))
            except TimeoutError as exc:
                errors = {n.channel.last_error for n in nodes if not n.channel.connected.is_set()}
                raise SetupError(f"only {sum(n.channel.connected.is_set() for n in nodes)} of {n_nodes} nodes "
                                 f"connected their control channel: {sorted(errors)[:3]}") from exc
            connect_s = time.monotonic() - connect_started
            warmup_s = min(5.0, max(2.0, seconds / 6))
            began = time.monotonic()
            until = began + warmup_s + seconds
            if profile == "stress":
                publishers = [asyncio.create_task(steady_events(n, bus, run, until)) for n in nodes]
            else:
                publishers = [asyncio.create_task(night_events(n, bus, run, until)) for n in nodes]
                publishers.append(asyncio.create_task(unit_bursts(nodes, bus, run, until)))
            await asyncio.sleep(warmup_s)
            run.measuring = True
            cpu_before, window_start = cpu_seconds(central_pid), time.monotonic()
            own_before = time.process_time()
            lookins = asyncio.create_task(lookin_loop(night, bus, rooms, offer_sdp, run, until, 0.5))
            peak_rss = rss_mb(central_pid)
            while time.monotonic() < until:
                await asyncio.sleep(1.0)
                peak_rss = max(peak_rss, rss_mb(central_pid))
            window = time.monotonic() - window_start
            cpu = 100 * (cpu_seconds(central_pid) - cpu_before) / window
            own_cpu = 100 * (time.process_time() - own_before) / window
            await asyncio.gather(*publishers)
            await lookins
            run.measuring = False
            sent = run.sent
            for _ in range(50):  # stragglers still on their way to the consoles
                if len(run.event_ms) >= sent * consoles:
                    break
                await asyncio.sleep(0.1)
            for feed in feeds:
                if feed.done():
                    failed = None if feed.cancelled() else feed.exception()
                    raise SetupError(f"central's event stream ended during the run: {failed!r}")
            connected = sum(n.channel.connected.is_set() for n in nodes)
            heartbeats = sum(n.heartbeat.sent for n in nodes)
        finally:
            lag.cancel()
            for feed in feeds:
                feed.cancel()
                with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                    await feed
            await asyncio.gather(*(n.stop() for n in nodes), return_exceptions=True)
            await bus.aclose()
    return {"run": run, "cpu": cpu, "rss": peak_rss, "sent": sent, "connected": connected,
            "heartbeats": heartbeats, "connect_s": connect_s, "window_s": seconds, "own_cpu": own_cpu,
            "consoles": consoles}


# -- budgets and the command ---------------------------------------------------------------------------------------


def load_scale_budgets(section: str = "scale") -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Latency budgets ([<section>.event_latency], [<section>.signalling]) and central's resource limits
    ([<section>.central]); the section is the profile's."""
    latency = load_budgets(section, ("event_latency", "signalling"))
    try:
        table = tomllib.loads(BUDGETS_PATH.read_text(encoding="utf-8")).get(section, {}).get("central")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BudgetError(f"cannot read budgets from {str(BUDGETS_PATH)!r}: {exc}") from exc
    if not isinstance(table, dict):
        raise BudgetError(f"{str(BUDGETS_PATH)!r} has no budget for stage {section}.central")
    limits: dict[str, float] = {}
    for key in ("max_cpu_percent", "max_rss_mb"):
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise BudgetError(f"budget {section}.central.{key} must be a positive number, got {value!r}")
        limits[key] = float(value)
    return latency, limits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nattvakt bench scale", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="stress",
                        help="stress: 1 event / 2 s per node; realistic: a night's events and unit bursts "
                             "(default stress)")
    parser.add_argument("--nodes", type=int, help="simulated camera nodes (default 200 stress, 1000 realistic)")
    parser.add_argument("--consoles", type=int, help="consoles following the feed (default 1 stress, 20 realistic)")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured steady window (default 60)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 nodes, 5 s")
    parser.add_argument("--admin-dsn", default=ADMIN_DSN,
                        help=f"PostgreSQL to create the throw-away database in (default {ADMIN_DSN!r})")
    parser.add_argument("--results", type=Path, help="also write the figures as JSON (for `nattvakt bench all`)")
    args = parser.parse_args(argv)
    section, default_nodes, default_consoles = PROFILES[args.profile]
    args.nodes = args.nodes if args.nodes is not None else default_nodes
    args.consoles = args.consoles if args.consoles is not None else default_consoles
    if args.quick:
        args.nodes, args.seconds = 20, 5.0
    if args.nodes < 1 or args.seconds <= 0 or args.consoles < 1:
        parser.error("--nodes, --consoles and --seconds must be positive")
    try:
        budgets, central_limits = load_scale_budgets(section)
    except BudgetError as exc:
        print(f"bench scale: {exc}", file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    what = (f"1 event / {EVENT_INTERVAL_S:g} s" if args.profile == "stress" else
            f"a handful of events a night, a unit of {UNIT_ROOMS} rooms waking every {BURST_EVERY_S:g} s")
    print(f"load average {load:.2f} on {os.cpu_count()} cores; {args.profile} profile, {args.nodes} simulated "
          f"nodes, {args.consoles} console(s), {args.seconds:g} s steady: {what} and 1 heartbeat / {HEARTBEAT_S:g} s "
          "per node")
    try:
        with tempfile.TemporaryDirectory(prefix="nattvakt-bench-scale-") as tmp_name, \
                fresh_database(args.admin_dsn) as database_url:
            figures = _run(Path(tmp_name), database_url, args.nodes, args.seconds, args.profile, args.consoles)
    except SetupError as exc:
        print(f"bench scale: setup failed: {exc}", file=sys.stderr)
        return 2
    return _report(figures, budgets, central_limits, args.results, load, section)


def _run(tmp: Path, database_url: str, n_nodes: int, seconds: float, profile: str,
         consoles: int) -> dict[str, Any]:
    from central.db import open_store
    from central.staff.service import upsert_staff

    try:
        server = start_redis(tmp / "redis")
    except RuntimeError as exc:
        raise SetupError(f"cannot start a private Redis: {exc}") from exc
    try:
        engine, sessions = open_store(database_url)
        with sessions() as db:
            upsert_staff(db, "sara", PASSWORD, "nurse_admin")
            upsert_staff(db, "nils", PASSWORD, "night_staff")
        engine.dispose()
        master = secrets.token_hex(32)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = child_env(redis_url=server.url, database_url=database_url, data_dir=str(tmp), events_stream=STREAM,
                   consent_key=master, central__port=str(port), log_level="WARNING")
        central = start_central(env, base, tmp / "central.log")
        try:
            return asyncio.run(measure(base, server.url, master.encode(), central.pid, n_nodes, seconds, profile,
                                       consoles))
        finally:
            stop_part(central)
    finally:
        server.stop()


def _report(figures: dict[str, Any], budgets: dict[str, dict[str, float]], central_limits: dict[str, float],
            results_path: Path | None, load: float, section: str = "scale") -> int:
    run: Run = figures["run"]
    result = BenchResult(section)
    events = result.latency_stage("event_latency", run.event_ms, budgets["event_latency"])
    signalling = result.latency_stage("signalling", run.signalling_ms, budgets["signalling"])
    cpu, rss = figures["cpu"], figures["rss"]
    result.figure_stage(
        "central",
        Figure("cpu_percent", round(cpu, 1), "% of one core", central_limits["max_cpu_percent"], False),
        Figure("rss_mb", round(rss, 1), "MB", central_limits["max_rss_mb"], False),
    )
    offered = figures["sent"] / figures["window_s"]
    consoles = figures["consoles"]
    lost = figures["sent"] * consoles - len(run.event_ms)
    print(f"{figures['connected']} control channels open at the end (all connected in {figures['connect_s']:.1f} s); "
          f"{figures['heartbeats']} heartbeats sent")
    print(f"events: {figures['sent']} sent in {figures['window_s']:g} s ({offered:.1f}/s), {len(run.event_ms)} "
          f"arrivals at {consoles} console(s) ({lost} missing)")
    for stage, label in ((events, "XADD → console (SSE)"), (signalling, "look-in signalling POST → answer")):
        values = {f.name: f.value for f in stage.figures}
        print(f"  {label}: p50 {values['p50_ms']:.1f} ms   p99 {values['p99_ms']:.1f} ms   "
              f"mean {values['mean_ms']:.1f} ms   ({len(stage.samples_ms)} samples)")
    print(f"  central: CPU {cpu:.0f} % of one core, peak RSS {rss:.0f} MB   (the simulated nodes: CPU "
          f"{figures['own_cpu']:.0f} %)")
    lag_p99, lag_max = (float(np.percentile(run.loop_lag_ms, 99)), max(run.loop_lag_ms)) if run.loop_lag_ms \
        else (float("nan"), float("nan"))
    print(f"  this process's own event-loop lag: p99 {lag_p99:.0f} ms, max {lag_max:.0f} ms (high: the machine was "
          "busy, not only central)")
    if run.lookin_failures:
        print(f"  look-ins failed: {len(run.lookin_failures)}, e.g. {run.lookin_failures[0]}")
    result.notes.update({"nodes": figures["connected"], "consoles": consoles,
                         "events offered per s": round(offered, 1),
                         "events missing": lost, "look-ins": len(run.signalling_ms),
                         "look-ins failed": len(run.lookin_failures), "heartbeats": figures["heartbeats"],
                         "simulated nodes' CPU %": round(figures["own_cpu"]),
                         "bench loop lag p99 / max ms": f"{lag_p99:.0f} / {lag_max:.0f}",
                         "load average at start": round(load, 2)})
    if results_path is not None:
        result.write(results_path)
    broken = [f"{section}.{s.stage} {f.name} {f.value:g} {f.unit} over {f.limit:g}"
              for s in result.stages for f in s.figures if not f.ok and f.limit is not None]
    if not run.event_ms or not run.signalling_ms:
        broken.append("no event or look-in reached the console")
    if lost or run.lookin_failures:
        broken.append(f"{lost} events missing, {len(run.lookin_failures)} look-ins failed")
    for line in broken:
        print(f"BUDGET BROKEN: {line}")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
