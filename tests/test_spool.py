"""The node's durable spool: order, bound, drop policy, survival across reopen, and the overflow alarm."""

from __future__ import annotations

import asyncio
import json
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
