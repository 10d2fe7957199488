"""The record never loses a night: event revisions and acknowledgements go into the relational store as central
consumes them, so the follow-up still reports the whole month when the stream has been trimmed to 10 entries; a
central that was down writes what it missed; writing twice leaves one row; pruning leaves an audit anchor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import func, select

from central.audit.models import AuditEntry
from central.db import open_store
from central.events.feed import FeedItem
from central.record import store
from central.record.models import EventAck, EventRevision
from nattvakt.events import Event, Severity
from nattvakt.settings import CentralSettings, Settings
from tests.conftest import serve
from tests.visits_parts import publish, until


def _counts(settings: Settings) -> tuple[int, int]:
    engine, sessions = open_store(settings.database_url)
    try:
        with sessions() as db:
            return (int(db.scalar(select(func.count()).select_from(EventRevision)) or 0),
                    int(db.scalar(select(func.count()).select_from(EventAck)) or 0))
    finally:
        engine.dispose()


async def test_the_followup_reports_the_whole_month_from_a_stream_trimmed_to_10(settings: Settings) -> None:
    shown = settings.model_copy(update={"central": CentralSettings(port=settings.central.port,
                                                                   followup_min_count=1)})
    now = datetime.now(UTC)
    early = [Event(node="node-a", room="rum-7", kind="bed_exit", severity=Severity.MEDIUM,
                   started_at=now - timedelta(minutes=30 - i)) for i in range(6)]
    for event in early:  # central is down: these wait on the stream
        await publish(shown, event)
    async with serve(shown) as api:
        async def caught_up() -> bool | None:
            return _counts(shown)[0] >= 6 or None

        await until(caught_up)
        later = [Event(node="node-a", room="rum-7", kind="on_floor" if i % 3 == 0 else "motion",
                       severity=Severity.HIGH if i % 3 == 0 else Severity.INFO,
                       started_at=now - timedelta(minutes=20 - i)) for i in range(24)]
        for event in later:
            await publish(shown, event)

        async def listed() -> bool | None:
            return len((await api.night.get("/api/events")).json()) >= 30 or None

        await until(listed)
        falls = [e for e in later if e.kind == "on_floor"]
        for event in falls:
            assert (await api.night.post(f"/api/events/{event.id}/ack")).status_code == 200
        ended = falls[0].model_copy(update={"seq": 1, "state": "ended", "ended_at": now})
        await publish(shown, ended)

        async def written() -> bool | None:
            return _counts(shown) == (31, len(falls)) or None

        await until(written)
        redis = aioredis.from_url(shown.redis_url_or_default())
        await redis.xtrim(shown.events_stream, maxlen=10, approximate=False)
        await redis.delete(f"{shown.events_stream}:acks")
        assert await redis.xlen(shown.events_stream) == 10
        await redis.aclose()

        month = (await api.nurse.get("/api/followup")).json()["total"]
        assert month["events"] == 30, "every event of the month, though the stream kept 10"
        assert month["events_by_kind"] == {"bed_exit": 6, "motion": 16, "on_floor": 8}
        assert month["ack_n"] == len(falls), "acknowledgements kept by the record"
        assert month["events_by_severity"] == {"1": 16, "3": 6, "4": 8}


def test_writing_a_revision_twice_leaves_one_row_and_pruning_leaves_an_anchor(tmp_path: Path) -> None:
    engine, sessions = open_store(f"sqlite:///{tmp_path / 'record.db'}")
    old = Event(node="n", room="r", kind="on_floor", severity=Severity.HIGH,
                started_at=datetime.now(UTC) - timedelta(days=365 * 11))
    new = Event(node="n", room="r", kind="motion")
    items = [FeedItem(old, acknowledged_by="anna"), FeedItem(new), FeedItem(old, acknowledged_by="anna")]
    with sessions() as db:
        assert store.write(db, items, datetime.now(UTC)) == 2
        assert store.write(db, items, datetime.now(UTC)) == 2
        assert db.scalar(select(func.count()).select_from(EventRevision)) == 2
        (ack,) = db.scalars(select(EventAck)).all()
        assert (ack.event_id, ack.by) == (old.id, "anna")
        assert store.prune(db, 10) == 2
        assert [r.event_id for r in db.scalars(select(EventRevision))] == [new.id]
        anchor: Any = db.scalars(select(AuditEntry).where(AuditEntry.kind == store.PRUNE_KIND)).one()
        details = json.loads(anchor.details)
        assert (details["revisions"], details["acknowledgements"]) == (1, 1) and "cutoff" in details
        assert store.prune(db, 10) == 0, "nothing more to prune, and no anchor without a removal"
    engine.dispose()
