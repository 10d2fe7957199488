"""The node's durable spool and its publisher: order (also across a Redis restart that lost data), bound, drop
policy (whole situations), survival across reopen and failed writes, the overflow alarm, nothing lost at stop."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camera_node.publisher import EventPublisher
from camera_node.spool import Spool, SpoolError
from nattvakt.events import Event, Origin, Severity
from nattvakt.redis_server import free_port, start_redis
from tests.bus import wait_until
from tests.bus_processes import numbered_event


def _event(severity: Severity, n: int) -> Event:
    return Event(node="n1", room="r1", kind="motion", severity=severity, details={"n": n})


def _ns(spool: Spool) -> list[int]:
    return [json.loads(row.body)["details"]["n"] for row in spool.read(0, 1000)]


def test_spool_keeps_order_and_survives_reopen(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", 100)
    spool.append([_event(Severity.INFO, n) for n in range(5)])
    spool.append([_event(Severity.HIGH, 5)])
    first = spool.read(0, 2)
    spool.remove_through(first[-1].pos)
    spool.close()
    reopened = Spool(tmp_path / "s.sqlite3", 100)
    assert _ns(reopened) == [2, 3, 4, 5]
    assert len(reopened) == 4
    assert reopened.read(reopened.read(0, 1)[0].pos, 10)[0].body == reopened.read(0, 2)[1].body


def test_same_revision_is_spooled_once(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", 100)
    event = _event(Severity.LOW, 0)
    spool.append([event, event])
    spool.append([event])
    assert len(spool) == 1


def test_full_spool_drops_lowest_severity_oldest_first_and_never_high(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", 4)
    spool.append(
        [_event(Severity.MEDIUM, 0), _event(Severity.INFO, 1), _event(Severity.LOW, 2), _event(Severity.INFO, 3)]
    )
    dropped = spool.append([_event(Severity.HIGH, 4)])  # makes room by dropping the oldest INFO
    assert [d.severity for d in dropped] == [Severity.INFO]
    assert _ns(spool) == [0, 2, 3, 4]
    dropped = spool.append([_event(Severity.INFO, 5)])  # the oldest INFO goes, the new one stays
    assert _ns(spool) == [0, 2, 4, 5]
    dropped = spool.append([_event(Severity.LOW, 6)])  # INFO before LOW
    assert _ns(spool) == [0, 2, 4, 6]
    dropped = spool.append([_event(Severity.INFO, 7)])  # nothing at or below INFO left: the newcomer is dropped
    assert [(d.severity, d.kind) for d in dropped] == [(Severity.INFO, "motion")]
    assert _ns(spool) == [0, 2, 4, 6]
    for n in range(8, 14):
        spool.append([_event(Severity.HIGH, n)])
    # Every non-HIGH event gave way; then HIGH events grow the spool past its bound rather than being dropped.
    assert _ns(spool) == [4, *range(8, 14)]
    assert spool.dropped_total == 1 + 1 + 1 + 1 + 3
    spool.close()
    assert Spool(tmp_path / "s.sqlite3", 4).dropped_total == 7, "the drop count is kept on disk"


def test_a_second_process_cannot_share_a_spool(tmp_path: Path) -> None:
    Spool(tmp_path / "s.sqlite3", 10)
    with pytest.raises(SpoolError, match="another node"):
        Spool(tmp_path / "s.sqlite3", 10)


async def test_overflow_while_redis_is_away_raises_one_alarm_and_ends_it_with_the_count(tmp_path: Path) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    spool = Spool(tmp_path / "spool.sqlite3", 10)
    publisher = EventPublisher(url, "t:events", spool, Origin("n1", "r1"), max_backoff_s=0.2)
    publisher.start()
    high = [_event(Severity.HIGH, n) for n in range(3)]
    for n in range(20):
        publisher.submit(_event(Severity.INFO, 100 + n))
        if n % 7 == 0:
            publisher.submit(high[n // 7])
    await publisher.persisted()
    await asyncio.sleep(0.05)
    await publisher.persisted()  # the alarm itself, submitted after the first drop
    assert publisher.dropped == 14  # 20 INFO + 3 HIGH + the HIGH alarm into 10 places: 14 INFO go
    server = start_redis(tmp_path / "redis", port)
    client = aioredis.from_url(url, decode_responses=True)
    try:
        async with asyncio.timeout(10):
            while True:
                await publisher.sent()
                entries: Any = await client.xrange("t:events")
                events = [Event.model_validate_json(fields["event"]) for _, fields in entries]
                if any(e.kind == "events_dropped" and e.state == "ended" for e in events):
                    break
                await asyncio.sleep(0.05)
        await publisher.stop()
    finally:
        await client.aclose()
        server.stop()
    kinds = [(e.kind, e.severity, e.state) for e in events]
    assert kinds.count(("events_dropped", Severity.HIGH, "open")) == 1
    ended = next(e for e in events if e.kind == "events_dropped" and e.state == "ended")
    assert ended.details["dropped"] == 14
    high_ns = [e.details["n"] for e in events if e.kind == "motion" and e.severity == Severity.HIGH]
    assert high_ns == [0, 1, 2], "every HIGH event arrives, in order"
    info = [e.details["n"] for e in events if e.severity == Severity.INFO]
    assert info == list(range(114, 120)), "the newest INFO events are kept, in order"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(severities=st.lists(st.sampled_from(list(Severity)), max_size=40), bound=st.integers(1, 8))
def test_drop_policy_invariants(
    tmp_path_factory: pytest.TempPathFactory, severities: list[Severity], bound: int
) -> None:
    """Whatever arrives: order kept, HIGH never dropped, the bound held unless only HIGH is left, drops counted,
    and exactly the events a plain model of "lowest severity, oldest first" would keep."""
    spool = Spool(tmp_path_factory.mktemp("spool") / "s.sqlite3", bound)
    dropped: list[int] = []
    for n, severity in enumerate(severities):
        for gone in spool.append([_event(severity, n)]):
            assert gone.severity != Severity.HIGH
            dropped.append(gone.severity)
    kept = [json.loads(row.body) for row in spool.read(0, 1000)]
    kept_ns = [event["details"]["n"] for event in kept]
    assert kept_ns == sorted(kept_ns), "order is kept"
    assert len(kept) + len(dropped) == len(severities) == len(kept) + spool.dropped_total
    assert sum(1 for s in severities if s == Severity.HIGH) == sum(1 for e in kept if e["severity"] == Severity.HIGH)
    assert len(kept) <= bound or all(e["severity"] == Severity.HIGH for e in kept)
    model: list[tuple[int, int]] = []  # (severity, n)
    for n, severity in enumerate(severities):
        if len(model) >= bound:
            candidates = [kept_one for kept_one in model if kept_one[0] < Severity.HIGH and kept_one[0] <= severity]
            if candidates:
                model.remove(min(candidates))
            elif severity < Severity.HIGH:
                continue
        model.append((severity, n))
    assert kept_ns == [n for _severity, n in model]
    spool.close()


def _open(severity: Severity, name: str) -> Event:
    return Event(id=name, node="n1", room="r1", kind="motion", severity=severity)


def _next(event: Event, state: str = "ended") -> Event:
    return event.model_copy(update={"seq": event.seq + 1, "state": state})


def _kept(spool: Spool) -> list[tuple[str, int]]:
    return [(row.event_id, row.seq) for row in spool.read(0, 1000)]


def test_a_full_spool_drops_a_situation_whole_never_an_end_without_its_open(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", 3)
    a = _open(Severity.LOW, "A")
    spool.append([a, _open(Severity.MEDIUM, "B"), _open(Severity.MEDIUM, "C")])
    dropped = spool.append([_next(a)])  # A's end needs room; the lowest, oldest situation is A itself
    assert [(d.event_id, d.seq) for d in dropped] == [("A", 0), ("A", 1)]
    assert _kept(spool) == [("B", 0), ("C", 0)]
    assert spool.dropped_total == 2 and len(spool) == 2


def test_later_revisions_of_a_dropped_situation_are_dropped_too(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", 2)
    spool.append([_open(Severity.MEDIUM, "B"), _open(Severity.MEDIUM, "C")])
    d = _open(Severity.LOW, "D")
    assert [x.event_id for x in spool.append([d])] == ["D"]  # nothing at or below LOW: the newcomer goes
    spool.remove_through(spool.read(0, 10)[-1].pos)  # Redis is back: room again
    dropped = spool.append([_next(d, "updated"), _next(_next(d, "updated"))])
    assert [(x.event_id, x.seq) for x in dropped] == [("D", 1), ("D", 2)], "no end of a situation never opened"
    assert _kept(spool) == []
    escalated = _next(d, "updated").model_copy(update={"seq": 3, "severity": Severity.HIGH})
    assert spool.append([escalated]) == [], "HIGH is never dropped, even of a dropped situation"


def test_the_end_of_a_situation_already_sent_is_kept_beyond_the_bound(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", 2)
    sent = _open(Severity.INFO, "S")
    spool.append([sent])
    spool.remove_through(spool.read(0, 10)[-1].pos)  # its open is on the stream
    spool.append([_open(Severity.MEDIUM, "B"), _open(Severity.MEDIUM, "C")])
    update = _next(sent, "updated")
    assert [(x.event_id, x.seq) for x in spool.append([update])] == [("S", 1)], "an update may go alone"
    assert spool.append([_next(update)]) == [], "the end of a shown situation is kept"
    assert _kept(spool) == [("B", 0), ("C", 0), ("S", 2)]
    spool.append([_open(Severity.INFO, "E")])  # the kept end is not a victim for a newcomer either
    assert ("S", 2) in _kept(spool)


def test_a_failed_write_leaves_the_count_and_the_contents_as_they_were(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", 10_000)
    spool.append([_open(Severity.LOW, f"e{n}") for n in range(3)])
    before = _kept(spool)
    (pages,) = spool._db.execute("PRAGMA page_count").fetchone()
    spool._db.execute(f"PRAGMA max_page_count = {pages + 1}")  # the disk is full from here on
    big = [
        Event(id=f"big{n}", node="n1", room="r1", kind="motion", details={"pad": "x" * 3000}) for n in range(20)
    ]
    with pytest.raises(SpoolError, match="cannot write 20 event"):
        spool.append(big)
    assert len(spool) == len(before) == 3
    assert _kept(spool) == before
    (rows,) = spool._db.execute("SELECT count(*) FROM spool").fetchone()
    assert rows == len(spool)
    spool.close()
    reopened = Spool(tmp_path / "s.sqlite3", 10_000)
    assert len(reopened) == 3 and [json.loads(r.body)["id"] for r in reopened.read(0, 10)] == ["e0", "e1", "e2"]


STREAM = "fix-pub:events"


async def _stream_ns(url: str) -> list[int]:
    redis = aioredis.from_url(url, decode_responses=True)
    try:
        rows: Any = await redis.xrange(STREAM)
    finally:
        await redis.aclose()
    return [json.loads(fields["event"])["details"]["n"] for _id, fields in rows]


async def _has(url: str, count: int) -> bool:
    return len(await _stream_ns(url)) >= count


async def test_a_restarted_redis_that_lost_the_tail_gets_it_back_before_newer_events(tmp_path: Path) -> None:
    # No append-only file: the restart loses what was sent, as an unsynced tail is lost in a power cut.
    server = start_redis(tmp_path / "redis", appendonly=False)
    spool = Spool(tmp_path / "spool.sqlite3", 10_000)
    publisher = EventPublisher(server.url, STREAM, spool, Origin("a", "room-a"), confirm_after_s=1.0,
                               max_backoff_s=0.2)
    publisher.start()
    try:
        for n in range(20):
            publisher.submit(numbered_event("a", n))
        await publisher.sent()
        assert await _stream_ns(server.url) == list(range(20))
        server.process.kill()
        server.process.wait()
        server = start_redis(tmp_path / "redis", server.port, appendonly=False)
        for n in range(20, 40):
            publisher.submit(numbered_event("a", n))
        url = server.url
        await wait_until(lambda: _has(url, 40), 15)
        await asyncio.sleep(1.5)  # past the confirmation window: no late resend reorders anything either
        got = await _stream_ns(server.url)
        assert got == list(range(40)), f"stream order {got}"
    finally:
        await publisher.stop()
        server.stop()


async def test_stop_keeps_a_batch_still_queued_for_the_spool(tmp_path: Path) -> None:
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    io = ThreadPoolExecutor(max_workers=1)
    busy = threading.Event()
    io.submit(busy.wait, 10)  # the IO thread is busy (a slow disk): the spool write queues behind it
    publisher = EventPublisher(unreachable, STREAM, Spool(tmp_path / "spool.sqlite3", 10_000), Origin("a", "room-a"),
                               io=io, max_backoff_s=0.2)
    publisher.start()
    for n in range(30):
        publisher.submit(numbered_event("a", n))
    await asyncio.sleep(0.2)  # the batch is taken from memory and queued for the IO thread
    stopping = asyncio.create_task(publisher.stop(drain_timeout_s=0.1))
    await asyncio.sleep(0.5)  # stop has given up draining and is stopping the tasks
    busy.set()
    await asyncio.wait_for(stopping, 15)
    io.shutdown(wait=True)
    reopened = Spool(tmp_path / "spool.sqlite3", 10_000)
    assert [json.loads(row.body)["details"]["n"] for row in reopened.read(0, 100)] == list(range(30))
    reopened.close()
