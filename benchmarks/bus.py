"""Event-bus benchmark: many simulated nodes publish through one Redis into one central consumer.

`python -m benchmarks.bus` or `nattvakt bench bus`. Starts a private redis-server (append-only file on, as in
production); this process runs the real `EventConsumer` and `EventFeed` and times each event from its XADD (the
stream entry id's clock) to the moment a console subscriber receives it. Producer processes (niced: real nodes run
on their own machines) simulate the nodes. Phases:

- `bus-latency`: 500 events/s, producers use the publisher's idempotent XADD directly -> XADD-to-console p50/p99.
- `bus-max`: offered above the target -> sustained events/s the bus (Redis + central) delivers.
- `end-to-end`: 500 events/s, each node a real `EventPublisher` with its own durable spool; adds submit-to-console.

Exits 1 when a figure breaks its budget in `benchmarks/budgets.toml` (`[bus.latency]`, `[bus.throughput]`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis

from benchmarks.budgets import BUDGETS_PATH, BudgetError
from benchmarks.results import BenchResult, Figure
from camera_node.publisher import EventPublisher
from camera_node.spool import Spool
from central.events.consumer import EventConsumer
from central.events.feed import EventFeed, FeedItem
from nattvakt.bus import idempotent_xadd, send_args
from nattvakt.childproc import die_with_parent
from nattvakt.events import SCHEMA_VERSION, Event, Origin, Severity
from nattvakt.redis_server import start_redis

STREAM = "bench:events"


@dataclass(frozen=True)
class PhaseResult:
    name: str
    offered_per_s: float
    shown: int
    events_per_s: float
    xadd_p50_ms: float
    xadd_p99_ms: float
    submit_p50_ms: float
    submit_p99_ms: float


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- producer processes --------------------------------------------------------------------------------------------


def _bench_event(node: int, n: int, phase: str) -> Event:
    return Event(
        node=f"bench-{node:03d}", room=f"rum-{node}", kind="motion", severity=Severity.INFO, state="ended",
        details={"t": time.time(), "n": n, "phase": phase},
    )


Submit = Callable[[list[tuple[int, int]]], Awaitable[None]]


async def _paced(nodes: range, rate: float, seconds: float, submit: Submit) -> int:
    """Offer `rate` events/s round-robin over `nodes` for `seconds`; `submit` gets (node, n) pairs every few ms."""
    counters = dict.fromkeys(nodes, 0)
    order = list(nodes)
    submitted = 0
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < seconds:
        due: list[tuple[int, int]] = []
        for _ in range(int(elapsed * rate) - submitted):
            node = order[submitted % len(order)]
            due.append((node, counters[node]))
            counters[node] += 1
            submitted += 1
        if due:
            await submit(due)
        await asyncio.sleep(0.005)
    return submitted


async def _produce_through_publishers(
    redis_url: str, data_dir: Path, nodes: range, rate: float, seconds: float, phase: str
) -> int:
    """Each simulated node is a real `EventPublisher` with its own durable spool."""
    # One spool thread for all simulated nodes: 200 threads fighting over one GIL would measure the convoy, not us.
    io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spools")
    publishers = {
        i: EventPublisher(
            redis_url, STREAM, Spool(data_dir / f"spool-{i:03d}.sqlite3", 100_000),
            Origin(f"bench-{i:03d}", f"rum-{i}"), maxlen=1_000_000, io=io,
        )
        for i in nodes
    }
    for publisher in publishers.values():
        publisher.start()

    async def submit(due: list[tuple[int, int]]) -> None:
        for node, n in due:
            publishers[node].submit(_bench_event(node, n, phase))

    submitted = await _paced(nodes, rate, seconds, submit)
    async with asyncio.timeout(60):
        await asyncio.gather(*(publisher.sent() for publisher in publishers.values()))
    await asyncio.gather(*(publisher.stop() for publisher in publishers.values()))
    io.shutdown()
    return submitted


async def _produce_direct(redis_url: str, nodes: range, rate: float, seconds: float, phase: str) -> int:
    """The bus alone: the same events and the same idempotent XADD as the publisher, without the spools."""
    redis = aioredis.from_url(redis_url, decode_responses=True)
    script = idempotent_xadd(redis)

    async def submit(due: list[tuple[int, int]]) -> None:
        async with redis.pipeline(transaction=False) as pipe:
            for node, n in due:
                event = _bench_event(node, n, phase)
                await script(
                    **send_args(STREAM, event.id, 0, SCHEMA_VERSION, event.model_dump_json(), 1_000_000), client=pipe
                )
            await pipe.execute()

    submitted = await _paced(nodes, rate, seconds, submit)
    await redis.aclose()
    return submitted


async def _produce(args: argparse.Namespace) -> None:
    nodes = range(args.first_node, args.first_node + args.nodes)
    start = time.monotonic()
    if args.direct:
        submitted = await _produce_direct(args.produce, nodes, args.rate, args.seconds, args.phase)
    else:
        submitted = await _produce_through_publishers(
            args.produce, args.data_dir, nodes, args.rate, args.seconds, args.phase
        )
    print(json.dumps({"submitted": submitted, "producer_s": round(time.monotonic() - start, 2)}), flush=True)


def _lower_priority() -> None:
    """Simulated nodes would run on their own machines: let the central side being measured go first."""
    die_with_parent()
    os.nice(5)


# -- consumer side (this process) ----------------------------------------------------------------------------------


async def _run_phase(
    redis_url: str, queue: asyncio.Queue[FeedItem], data_dir: Path, nodes: int, seconds: float, producers: int,
    phase: Phase,
) -> PhaseResult:
    name, rate = phase.name, phase.rate
    share = nodes // producers
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.bus", "--produce", redis_url, "--first-node", str(k * share),
            "--nodes", str(share if k < producers - 1 else nodes - k * share), "--rate", str(rate / producers),
            "--seconds", str(seconds), "--phase", name, "--data-dir", str(data_dir / name),
            *(["--direct"] if phase.direct else []),
            stdout=asyncio.subprocess.PIPE, preexec_fn=_lower_priority,
        )
        for k in range(producers)
    ]
    output = asyncio.gather(*(child.communicate() for child in children))
    xadd_ms: list[float] = []
    submit_ms: list[float] = []
    arrivals: list[float] = []
    last_n: dict[str, int] = {}
    deadline = time.monotonic() + seconds + 120
    while time.monotonic() < deadline:
        try:
            items = [await asyncio.wait_for(queue.get(), 1.0)]
        except TimeoutError:
            if output.done():
                break  # the producer has sent everything and nothing came for a second
            continue
        while not queue.empty():  # drain without a wait_for (a task) per item: the reader must not be the bottleneck
            items.append(queue.get_nowait())
        now, arrived = time.time(), time.monotonic()
        for item in items:
            event = item.event
            if event.details.get("phase") != name:
                continue
            n = int(event.details["n"])
            if last_n.get(event.node, -1) >= n:
                raise SystemExit(f"bus bench: order broken or duplicate at {event.node} #{n}")
            last_n[event.node] = n
            arrivals.append(arrived)
            xadd_ms.append(now * 1000 - item.position[0])
            submit_ms.append((now - float(event.details["t"])) * 1000)
    outputs = await asyncio.wait_for(output, 120)
    if any(child.returncode != 0 for child in children):
        raise SystemExit(f"bus bench: a producer failed ({[child.returncode for child in children]})")
    reports = [json.loads(out.decode().strip().splitlines()[-1]) for out, _ in outputs]
    submitted = sum(report["submitted"] for report in reports)
    took = max(report["producer_s"] for report in reports)
    print(f"  {name}: {producers} producer processes submitted {submitted}, all sent within {took} s", flush=True)
    if len(arrivals) != submitted:
        raise SystemExit(f"bus bench: {submitted} submitted but {len(arrivals)} shown in phase {name}")
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else float("nan")
    return PhaseResult(
        name, rate, len(arrivals), (len(arrivals) - 1) / span,
        statistics.median(xadd_ms), _percentile(xadd_ms, 0.99),
        statistics.median(submit_ms), _percentile(submit_ms, 0.99),
    )


@dataclass(frozen=True)
class Phase:
    name: str
    rate: float
    direct: bool
    """True: producers XADD directly (the bus alone); False: through real publishers and spools."""


async def _bench(
    nodes: int, seconds: float, phases: list[Phase], spool_dir: Path | None, producers: int
) -> list[PhaseResult]:
    with (
        tempfile.TemporaryDirectory(prefix="nattvakt-bench-bus-") as tmp,
        tempfile.TemporaryDirectory(prefix="nattvakt-bench-spools-", dir=spool_dir) as spools,
    ):
        server = start_redis(Path(tmp) / "redis")
        redis = aioredis.from_url(server.url, decode_responses=True)
        feed = EventFeed(history=1_000)
        queue = feed.subscribe()
        consumer = EventConsumer(redis, STREAM, "bench-central", feed)
        consumer.start()
        try:
            return [
                await _run_phase(server.url, queue, Path(spools), nodes, seconds, producers, phase) for phase in phases
            ]
        finally:
            await consumer.stop()
            await redis.aclose()
            server.stop()


def _budgets() -> tuple[float, float]:
    """(p99 ms at the latency rate, minimum sustained events/s) from `[bus.latency]` and `[bus.throughput]`."""
    try:
        with BUDGETS_PATH.open("rb") as handle:
            table = tomllib.load(handle)["bus"]
        return float(table["latency"]["p99_ms"]), float(table["throughput"]["min_events_per_s"])
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BudgetError(f"cannot read [bus] budgets from {str(BUDGETS_PATH)!r}: {exc!r}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nattvakt bench bus", description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--latency-rate", type=float, default=500.0, help="events/s in bus-latency and end-to-end")
    parser.add_argument(
        "--max-rate", type=float, default=7_000.0, help="events/s offered in the bus-max phase"
    )
    parser.add_argument(
        "--spool-dir", type=Path, default=Path("/dev/shm") if Path("/dev/shm").is_dir() else None,
        help="where the simulated nodes' spools live (default: tmpfs; real nodes each have their own disk, "
        "and 200 spools on one shared disk would measure that disk's fsync rate, not the bus)",
    )
    parser.add_argument("--producers", type=int, default=1, help="processes the simulated nodes are spread over")
    parser.add_argument("--results", type=Path, help="also write the figures as JSON (for `nattvakt bench all`)")
    parser.add_argument("--produce", metavar="REDIS_URL", help=argparse.SUPPRESS)
    parser.add_argument("--first-node", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--phase", default="", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--direct", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.produce:
        asyncio.run(_produce(args))
        return 0

    p99_budget_ms, min_rate_budget = _budgets()
    phases = [
        Phase("bus-latency", args.latency_rate, direct=True),
        Phase("bus-max", args.max_rate, direct=True),
        Phase("end-to-end", args.latency_rate, direct=False),
    ]
    results = asyncio.run(_bench(args.nodes, args.seconds, phases, args.spool_dir, args.producers))
    print(f"event bus: {args.nodes} nodes -> 1 Redis -> 1 central consumer, {args.seconds:g} s per phase, "
          f"spools in {args.spool_dir or tempfile.gettempdir()}")
    print(f"{'phase':<11} {'offered/s':>9} {'shown':>7} {'events/s':>9} {'xadd→console p50/p99 ms':>24} "
          f"{'submit→console p50/p99 ms':>26}")
    for r in results:
        print(f"{r.name:<11} {r.offered_per_s:>9.0f} {r.shown:>7} {r.events_per_s:>9.0f} "
              f"{r.xadd_p50_ms:>11.1f} / {r.xadd_p99_ms:>8.1f} {r.submit_p50_ms:>13.1f} / {r.submit_p99_ms:>8.1f}")
    latency, bus, end_to_end = results
    failures = []
    if bus.events_per_s < min_rate_budget:
        failures.append(f"bus sustained {bus.events_per_s:.0f} events/s < budget {min_rate_budget:g}")
    if latency.xadd_p99_ms > p99_budget_ms:
        failures.append(f"XADD->console p99 {latency.xadd_p99_ms:.1f} ms > budget {p99_budget_ms:g} ms")
    for failure in failures:
        print(f"OVER BUDGET: {failure}")
    if args.results:
        out = BenchResult("bus")
        out.figure_stage(
            "bus-latency (XADD→console)",
            Figure("p50_ms", round(latency.xadd_p50_ms, 2)),
            Figure("p99_ms", round(latency.xadd_p99_ms, 2), "ms", p99_budget_ms),
        )
        out.figure_stage(
            "bus-max (sustained)",
            Figure("events_per_s", round(bus.events_per_s), "events/s", min_rate_budget, higher_is_better=True),
        )
        out.figure_stage(
            "end-to-end (submit→console)",
            Figure("p50_ms", round(end_to_end.submit_p50_ms, 2)),
            Figure("p99_ms", round(end_to_end.submit_p99_ms, 2)),
        )
        out.notes["nodes"] = args.nodes
        out.notes["seconds per phase"] = args.seconds
        out.write(args.results)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
