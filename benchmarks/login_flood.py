"""Login-flood benchmark: alarms reach the console on time while strangers hammer the login.

`python -m benchmarks.login_flood` or `nattvakt bench login_flood`. Starts a private redis-server and one real
central (`nattvakt central`, uvicorn, SQLite). A logged-in night nurse follows central's server-sent feed and polls
`/api/tonight`; one HIGH event a tenth of a second is XADDed to the stream (as a node does); meanwhile `--rate`
login attempts a second with random user names and passwords arrive for `--seconds`, spread over `--addresses`
loopback source addresses (127.0.1.x), so the per-address limit alone cannot absorb them. Each event's latency runs
from just before its XADD to its arrival in the feed.

Exits 1 when event → console p99 breaks `[login_flood.event_latency]` in `benchmarks/budgets.toml` or an event is
lost, 2 when the setup fails.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import redis.asyncio as aioredis

from benchmarks.budgets import BudgetError, load_budgets
from benchmarks.children import child_env, stop_part
from benchmarks.console_feed import feed_events
from benchmarks.results import BenchResult
from benchmarks.scale import SetupError, start_central
from nattvakt.bus import idempotent_xadd, publish_once
from nattvakt.events import Event, Severity
from nattvakt.redis_server import free_port, start_redis
from privacy.event_signing import signer_for

STREAM = "flood:events"
PASSWORD = "flod-lösenord-123"
EVENT_INTERVAL_S = 0.1
TONIGHT_INTERVAL_S = 0.5


@dataclass
class Run:
    run_id: str
    event_ms: list[float] = field(default_factory=list)
    tonight_ms: list[float] = field(default_factory=list)
    sent: int = 0
    logins: collections.Counter[str] = field(default_factory=collections.Counter)
    login_ms: list[float] = field(default_factory=list)


async def follow_feed(base: str, cookies: httpx.Cookies, run: Run, ready: asyncio.Event) -> None:
    async for received, event in feed_events(base, cookies, ready):
        details = event.get("details") or {}
        if details.get("run") == run.run_id:
            run.event_ms.append((received - float(details["t"])) * 1000)


async def publish_events(bus: aioredis.Redis, run: Run, until: float, master: bytes) -> None:
    """One HIGH on_floor a tenth of a second, each in its own room (so none ends another), on a fixed schedule;
    signed as its node would."""
    signers = [signer_for(master, f"flood-{i}") for i in range(20)]
    script = idempotent_xadd(bus)
    due = time.monotonic()
    while due < until:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        run.sent += 1
        event = Event(node=f"flood-{run.sent % 20}", room=f"rum-{run.sent}", kind="on_floor", severity=Severity.HIGH,
                      details={"t": time.time(), "run": run.run_id})
        await publish_once(bus, script, STREAM, event, 100_000, signers[run.sent % 20])
        due += EVENT_INTERVAL_S


async def poll_tonight(night: httpx.AsyncClient, run: Run, until: float) -> None:
    while time.monotonic() < until:
        began = time.monotonic()
        response = await night.get("/api/tonight")
        response.raise_for_status()
        run.tonight_ms.append((time.monotonic() - began) * 1000)
        await asyncio.sleep(TONIGHT_INTERVAL_S)


async def flood(base: str, run: Run, rate: float, addresses: int, until: float) -> None:
    """`rate` login attempts a second, never waiting for answers (an attacker does not), round-robin over addresses."""
    clients = [httpx.AsyncClient(base_url=base, timeout=60,
                                 transport=httpx.AsyncHTTPTransport(local_address=f"127.0.1.{i + 1}"))
               for i in range(addresses)]

    async def attempt(client: httpx.AsyncClient) -> None:
        began = time.monotonic()
        try:
            response = await client.post("/api/login", json={"username": secrets.token_hex(6),
                                                             "password": secrets.token_hex(8)})
            run.logins[str(response.status_code)] += 1
        except httpx.HTTPError as exc:
            run.logins[type(exc).__name__] += 1
        run.login_ms.append((time.monotonic() - began) * 1000)

    pending: set[asyncio.Task[None]] = set()
    due, n = time.monotonic(), 0
    try:
        while due < until:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            task = asyncio.create_task(attempt(clients[n % addresses]))
            pending.add(task)
            task.add_done_callback(pending.discard)
            n += 1
            due += 1 / rate
        await asyncio.gather(*pending)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def measure(base: str, redis_url: str, master: bytes, rate: float, addresses: int, seconds: float) -> Run:
    run = Run(secrets.token_hex(6))
    bus = aioredis.from_url(redis_url, decode_responses=True)
    async with httpx.AsyncClient(base_url=base, timeout=60) as night:
        (await night.post("/api/login", json={"username": "nils", "password": PASSWORD})).raise_for_status()
        ready = asyncio.Event()
        feed = asyncio.create_task(follow_feed(base, night.cookies, run, ready))
        try:
            await asyncio.wait_for(ready.wait(), 10)
            until = time.monotonic() + seconds
            await asyncio.gather(publish_events(bus, run, until, master), poll_tonight(night, run, until),
                                 flood(base, run, rate, addresses, until))
            for _ in range(100):  # stragglers still on their way to the console
                if len(run.event_ms) >= run.sent:
                    break
                await asyncio.sleep(0.1)
            if feed.done():
                raise SetupError(f"central's event stream ended during the run: {feed.exception()!r}")
        finally:
            feed.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await feed
            await bus.aclose()
    return run


def _run(tmp: Path, rate: float, addresses: int, seconds: float) -> Run:
    from central.db import open_store
    from central.staff.service import upsert_staff

    try:
        server = start_redis(tmp / "redis")
    except RuntimeError as exc:
        raise SetupError(f"cannot start a private Redis: {exc}") from exc
    try:
        database_url = f"sqlite:///{tmp / 'central.db'}"
        engine, sessions = open_store(database_url)
        with sessions() as db:
            upsert_staff(db, "nils", PASSWORD, "night_staff")
        engine.dispose()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        master = secrets.token_hex(32)
        env = child_env(redis_url=server.url, database_url=database_url, data_dir=str(tmp), events_stream=STREAM,
                        consent_key=master, central__port=str(port), log_level="ERROR")
        central = start_central(env, base, tmp / "central.log")
        try:
            return asyncio.run(measure(base, server.url, master.encode(), rate, addresses, seconds))
        finally:
            stop_part(central)
    finally:
        server.stop()


def _percentiles(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    p50, p99 = np.percentile(samples, [50, 99])
    return f"p50 {p50:.0f} ms   p99 {p99:.0f} ms   max {max(samples):.0f} ms   ({len(samples)} samples)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nattvakt bench login_flood", description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="login attempts a second (default 50)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the flood (default 30)")
    parser.add_argument("--addresses", type=int, default=25,
                        help="loopback source addresses the flood comes from (default 25)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 s")
    parser.add_argument("--results", type=Path, help="also write the figures as JSON (for `nattvakt bench all`)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = 5.0
    if args.rate <= 0 or args.seconds <= 0 or not 1 <= args.addresses <= 250:
        parser.error("--rate and --seconds must be positive, --addresses 1-250")
    try:
        budgets = load_budgets("login_flood", ("event_latency",))
    except BudgetError as exc:
        print(f"bench login_flood: {exc}", file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} cores; {args.rate:g} login attempts/s from "
          f"{args.addresses} addresses for {args.seconds:g} s, one HIGH event / {EVENT_INTERVAL_S:g} s")
    try:
        with tempfile.TemporaryDirectory(prefix="nattvakt-bench-flood-") as tmp_name:
            run = _run(Path(tmp_name), args.rate, args.addresses, args.seconds)
    except SetupError as exc:
        print(f"bench login_flood: setup failed: {exc}", file=sys.stderr)
        return 2
    return _report(run, budgets, args.results, load)


def _report(run: Run, budgets: dict[str, dict[str, float]], results_path: Path | None, load: float) -> int:
    result = BenchResult("login_flood")
    events = result.latency_stage("event_latency", run.event_ms, budgets["event_latency"])
    lost = run.sent - len(run.event_ms)
    print(f"events: {run.sent} sent, {len(run.event_ms)} reached the console ({lost} missing)")
    print(f"  XADD → console (SSE): {_percentiles(run.event_ms)}")
    print(f"  GET /api/tonight:     {_percentiles(run.tonight_ms)}")
    print(f"  login answers: {dict(sorted(run.logins.items()))}; {_percentiles(run.login_ms)}")
    notes: dict[str, Any] = {"logins by answer": dict(run.logins), "events missing": lost,
                             "load average at start": round(load, 2)}
    if run.tonight_ms:
        notes["tonight p99 ms"] = round(float(np.percentile(run.tonight_ms, 99)))
    result.notes.update(notes)
    if results_path is not None:
        result.write(results_path)
    broken = [f"login_flood.{events.stage} {f.name} {f.value:g} {f.unit} over {f.limit:g}"
              for f in events.figures if not f.ok and f.limit is not None]
    if not run.event_ms or lost:
        broken.append(f"{lost} of {run.sent} events did not reach the console")
    for line in broken:
        print(f"BUDGET BROKEN: {line}")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
