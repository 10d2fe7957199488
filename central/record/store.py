"""The record in the store: writing revisions and acknowledgements once, reading them for the follow-up, pruning."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from central.audit.store import append, commit_with_retry
from central.db import aware
from central.events.feed import FeedItem
from central.record.models import EventAck, EventRevision

PRUNE_KIND = "record_pruned"


def _insert(db: Session, table: Any) -> Any:
    return (pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert)(table)


def write(db: Session, items: Sequence[FeedItem], now: datetime) -> int:
    """Each item's revision, and its acknowledgement if it has one; rows already there are left alone."""
    revisions = {item.event.revision_key: item.event for item in items}
    rows = [{"event_id": e.id, "seq": e.seq, "kind": e.kind, "severity": int(e.severity), "state": e.state,
             "node": e.node, "room": e.room, "started_at": e.started_at, "ended_at": e.ended_at,
             "body": e.model_dump_json(), "recorded_at": now} for e in revisions.values()]
    acks = {item.event.id: item.acknowledged_by for item in items if item.acknowledged_by}
    # one statement with a list of parameters: compiled once and cached, whatever the batch's size
    if rows:
        db.execute(_insert(db, EventRevision).on_conflict_do_nothing(), rows)
    if acks:
        db.execute(_insert(db, EventAck).on_conflict_do_nothing(),
                   [{"event_id": k, "by": v, "at": now} for k, v in acks.items()])
    db.commit()
    return len(rows)


def load_events(db: Session, start: datetime, end: datetime) -> tuple[dict[str, dict[str, Any]],
                                                                        dict[str, datetime]]:
    """As `central.followup.store.load_stream_events` gives them, from the record: each event's latest revision
    (started in [start, end)) and its acknowledgement."""
    events: dict[str, dict[str, Any]] = {}
    rows = db.scalars(select(EventRevision).where(
        EventRevision.started_at >= start.astimezone(UTC), EventRevision.started_at < end.astimezone(UTC))
        .order_by(EventRevision.event_id, EventRevision.seq))
    for r in rows:
        events[r.event_id] = {"seq": r.seq, "kind": r.kind, "severity": r.severity, "started_at": aware(r.started_at),
                              "ended_at": aware(r.ended_at) if r.ended_at else None}
    acks = {a.event_id: aware(a.at) for a in db.scalars(select(EventAck).where(EventAck.event_id.in_(list(events))))}
    return events, acks


def merged(stream: dict[str, dict[str, Any]], kept: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Events from the stream and from the record, the newer revision of each."""
    out = dict(stream)
    for event_id, revision in kept.items():
        if event_id not in out or revision["seq"] >= out[event_id]["seq"]:
            out[event_id] = revision
    return out


def prune(db: Session, retention_years: float, now: datetime | None = None) -> int:
    """Remove revisions and acknowledgements of events older than the retention; an audit record keeps the cutoff
    and the counts (the anchor a later reader checks the record against). Returns how many rows went."""
    cutoff = (now or datetime.now(UTC)).astimezone(UTC) - timedelta(days=365.25 * retention_years)

    def work(s: Session) -> int:
        old = select(EventRevision.event_id).where(EventRevision.started_at < cutoff).distinct()
        acks = s.execute(delete(EventAck).where(EventAck.event_id.in_(old))).rowcount  # type: ignore[attr-defined]
        revisions = s.execute(delete(EventRevision).where(
            EventRevision.started_at < cutoff)).rowcount  # type: ignore[attr-defined]
        if revisions or acks:
            append(s, PRUNE_KIND, "system", None, {"cutoff": cutoff.isoformat(), "revisions": int(revisions),
                                                   "acknowledgements": int(acks)})
        return int(revisions) + int(acks)

    return commit_with_retry(db, work)
