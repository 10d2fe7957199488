"""Review fixes in the node's spool: whole situations are dropped, and a failed write leaves the count right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from camera_node.spool import Spool, SpoolError
from nattvakt.events import Event, Severity


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
