"""Test helpers for the event bus: an in-process console that records what it shows, and child processes."""

from __future__ import annotations

import asyncio
import inspect
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

import redis.asyncio as aioredis

from camera_node.publisher import EventPublisher
from camera_node.spool import Spool
from central.events.consumer import EventConsumer
from central.events.feed import EventFeed, FeedItem
from nattvakt.childproc import die_with_parent
from nattvakt.events import Event, Origin

REPO = Path(__file__).resolve().parents[1]


class Console:
    """One central consumer and its feed; `shown` is every revision the feed announced, in order.

    An announcement that only marks an already shown revision acknowledged goes to `acknowledged` instead.
    """

    def __init__(self, redis_url: str, stream: str, name: str = "central-1", *, claim_idle_s: float = 30.0) -> None:
        self.redis = aioredis.from_url(redis_url, decode_responses=True)
        self.feed = EventFeed(history=100_000)
        self._queue = self.feed.subscribe()
        self.consumer = EventConsumer(self.redis, stream, name, self.feed, claim_idle_s=claim_idle_s)
        self.shown: list[Event] = []
        self.acknowledged: list[tuple[str, str]] = []
        """(event id, by) of each acknowledgement announced."""
        self._acked: set[str] = set()

    async def __aenter__(self) -> Console:
        self.consumer.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.consumer.stop()
        await self.redis.aclose()

    async def until(self, count: int, limit_s: float = 20.0) -> list[Event]:
        """Collect announcements until `count` revisions were shown; fails with what arrived on timeout."""
        try:
            async with asyncio.timeout(limit_s):
                while len(self.shown) < count:
                    self._record(await self._queue.get())
        except TimeoutError:
            raise AssertionError(f"only {len(self.shown)} of {count} events shown within {limit_s} s") from None
        return self.shown

    async def settle(self, quiet_s: float = 0.5) -> list[Event]:
        """Keep collecting until nothing new arrives for `quiet_s` (catches late duplicates)."""
        while True:
            try:
                item = await asyncio.wait_for(self._queue.get(), quiet_s)
            except TimeoutError:
                return self.shown
            self._record(item)

    def _record(self, item: FeedItem) -> None:
        if item.acknowledged_by is not None and item.event.id not in self._acked:
            self._acked.add(item.event.id)
            self.acknowledged.append((item.event.id, item.acknowledged_by))
            if any(shown.revision_key == item.event.revision_key for shown in reversed(self.shown)):
                return
        self.shown.append(item.event)


def per_node(events: Iterable[Event]) -> dict[str, list[int]]:
    """`details.n` of each node's events, in the order given."""
    out: dict[str, list[int]] = {}
    for event in events:
        out.setdefault(event.node, []).append(int(event.details["n"]))
    return out


def assert_exactly_once_in_order(shown: list[Event], expected: dict[str, list[int]]) -> None:
    keys = [event.revision_key for event in shown]
    assert len(keys) == len(set(keys)), f"{len(keys) - len(set(keys))} revision(s) shown twice"
    got = per_node(shown)
    for node, numbers in expected.items():
        assert got.get(node) == numbers, f"node {node}: shown {got.get(node)}, expected {numbers}"
    assert set(got) == set(expected)


def make_publisher(redis_url: str, stream: str, data_dir: Path, node: str) -> EventPublisher:
    spool = Spool(data_dir / f"spool-{node}.sqlite3", 100_000)
    return EventPublisher(redis_url, stream, spool, Origin(node, f"room-{node}"), max_backoff_s=0.2)


class Child:
    """A `python -m tests.bus_processes` child whose stdout lines we can wait for."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    @classmethod
    async def spawn(cls, *args: str) -> Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.bus_processes", *args, cwd=REPO, stdout=asyncio.subprocess.PIPE,
            preexec_fn=die_with_parent,
        )
        return cls(process)

    async def wait_for_line(self, prefix: str, limit_s: float = 20.0, *, at_least: int | None = None) -> str:
        """Wait for a line starting with `prefix` (and, with `at_least`, a number after it that large)."""
        assert self.process.stdout is not None
        async with asyncio.timeout(limit_s):
            while True:
                raw = await self.process.stdout.readline()
                if not raw:
                    raise AssertionError(f"child exited ({self.process.returncode}) before printing {prefix!r}")
                line = raw.decode().strip()
                self.lines.append(line)
                if line.startswith(prefix) and (at_least is None or int(line.split()[1]) >= at_least):
                    return line

    async def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, as a power cut or OOM kill would do."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()


async def wait_until(check: Callable[[], bool | Awaitable[bool]], limit_s: float = 10.0, every_s: float = 0.05) -> None:
    """Poll `check` (plain or async) until it holds; fails with a timeout after `limit_s`."""
    async with asyncio.timeout(limit_s):
        while True:
            result = check()
            if await result if inspect.isawaitable(result) else result:
                return
            await asyncio.sleep(every_s)
