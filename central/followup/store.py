"""Loads the follow-up's records from where the product already keeps them; no storage of its own.

- check-ins: the night's planned check-ins and their states (`night_service.night_of_recipients`) with the
  documented outcomes; planned from the current consent and schedule, as the night report does;
- events: every revision on the event stream (kind, severity, start, end) joined with the acknowledgement
  notices stream (a notice's entry id is the moment of acknowledgement) and with the documented outcomes in the
  database; an event trimmed from the stream is still counted from its outcome, with severity unknown;
- consent changes and pauses: `consent_changed` audit records;
- look-ins: `lookin_started` audit records (the node showed a picture), for events and check-ins alike.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from sqlalchemy import select
from sqlalchemy.orm import Session

from central.audit.models import AuditEntry
from central.db import aware
from central.followup.figures import ChangeRecord, CheckinRecord, EventRecord, LookinRecord
from central.night import service as night_service
from central.night.models import Outcome
from nattvakt.events import EventRejected, decode_stream_entry
from nattvakt.night import night_start

NOT_IN_FORCE = frozenset({"no_consent", "not_yet_valid", "expired", "withdrawn"})
"""Skip reasons meaning no consent was in force that night: nothing was planned, so nothing is counted."""
ACK_LAG = timedelta(days=7)
"""How long after the period an acknowledgement notice is still looked for (the ack keys' lifetime)."""


def period_bounds(nights: Sequence[date], home: ZoneInfo) -> tuple[datetime, datetime]:
    return night_start(min(nights), home), night_start(max(nights) + timedelta(days=1), home)


def load_checkins(db: Session, nights: Sequence[date], now: datetime, relook_after: timedelta,
                  home: ZoneInfo) -> list[CheckinRecord]:
    records: list[CheckinRecord] = []
    for night in nights:
        if night_start(night, home) > now:
            continue
        for recipient_night in night_service.night_of_recipients(db, night, now, relook_after):
            for slot in recipient_night.slots:
                if slot.state == "skipped" and slot.skip_reason in NOT_IN_FORCE:
                    continue
                o = slot.outcome
                records.append(CheckinRecord(
                    night=night, slot_at=slot.slot_at, window_end=slot.end, state=slot.state,
                    skip_reason=slot.skip_reason, outcome=o.outcome if o else None,
                    recorded_at=o.recorded_at if o else None, camera_allowed=slot.camera_allowed,
                    relook=slot.relook_of is not None))
    return records


def load_event_outcomes(db: Session, nights: Sequence[date]) -> list[Outcome]:
    return list(db.scalars(select(Outcome).where(
        Outcome.night >= min(nights), Outcome.night <= max(nights), Outcome.event_id.is_not(None),
    ).order_by(Outcome.recorded_at, Outcome.id)))


def load_changes(db: Session, nights: Sequence[date], home: ZoneInfo) -> list[ChangeRecord]:
    start, end = period_bounds(nights, home)
    rows = db.scalars(select(AuditEntry).where(
        AuditEntry.kind == "consent_changed", AuditEntry.at >= start, AuditEntry.at < end).order_by(AuditEntry.seq))
    changes = []
    for row in rows:
        change = str(json.loads(row.details).get("change", ""))
        kind = "pause" if change.startswith("paused") else "resume" if change.startswith("pause ended") \
            else "consent_change"
        changes.append(ChangeRecord(at=aware(row.at), kind=kind))
    return changes


def load_lookins(db: Session, nights: Sequence[date], home: ZoneInfo) -> list[LookinRecord]:
    start, end = period_bounds(nights, home)
    rows = db.scalars(select(AuditEntry).where(
        AuditEntry.kind == "lookin_started", AuditEntry.at >= start, AuditEntry.at < end).order_by(AuditEntry.seq))
    return [LookinRecord(started_at=aware(row.at), reason=str(json.loads(row.details).get("reason", "")))
            for row in rows]


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def load_stream_events(redis: aioredis.Redis, stream: str, nights: Sequence[date], home: ZoneInfo,
                             batch: int = 1000) -> tuple[dict[str, dict[str, Any]], dict[str, datetime]]:
    """(event id -> latest revision's kind/severity/start/end, event id -> first acknowledgement) from Redis."""
    start, end = period_bounds(nights, home)
    events: dict[str, dict[str, Any]] = {}
    lower = f"{_ms(start - timedelta(days=1))}-0"
    upper = f"{_ms(end + timedelta(days=1))}-0"
    while True:
        rows: Any = await redis.xrange(stream, lower, upper, count=batch)
        for _entry_id, fields in rows:
            try:
                event = decode_stream_entry(fields)
            except EventRejected:
                continue  # the consumer dead-letters it; it was never an event staff saw
            known = events.get(event.id)
            if known is None or event.seq >= known["seq"]:
                events[event.id] = {"seq": event.seq, "kind": event.kind, "severity": int(event.severity),
                                    "started_at": event.started_at, "ended_at": event.ended_at}
        if len(rows) < batch:
            break
        lower = "(" + rows[-1][0]
    acks: dict[str, datetime] = {}
    lower = f"{_ms(start)}-0"
    upper = f"{_ms(end + ACK_LAG)}-0"
    while True:
        rows = await redis.xrange(f"{stream}:acks", lower, upper, count=batch)
        for entry_id, fields in rows:
            event_id = fields.get("event_id")
            if event_id and event_id not in acks:
                acks[event_id] = datetime.fromtimestamp(int(entry_id.split("-")[0]) / 1000, UTC)
        if len(rows) < batch:
            break
        lower = "(" + rows[-1][0]
    return events, acks


def join_events(stream: dict[str, dict[str, Any]], acks: dict[str, datetime],
                outcomes: Sequence[Outcome]) -> list[EventRecord]:
    """One record per event: first documented time and latest outcome from the database, the rest from Redis."""
    first_doc: dict[str, datetime] = {}
    latest: dict[str, Outcome] = {}
    for row in outcomes:
        assert row.event_id is not None
        recorded = aware(row.recorded_at)
        first_doc.setdefault(row.event_id, recorded)
        latest[row.event_id] = row
    records = []
    for event_id in sorted(set(stream) | set(latest)):
        s = stream.get(event_id)
        o = latest.get(event_id)
        started = s["started_at"] if s else aware(o.event_at or o.recorded_at) if o else None
        assert started is not None
        records.append(EventRecord(
            event_id=event_id, kind=s["kind"] if s else (o.event_kind if o and o.event_kind else "unknown"),
            started_at=started, severity=s["severity"] if s else None, acknowledged_at=acks.get(event_id),
            documented_at=first_doc.get(event_id), outcome=o.outcome if o else None,
            ended_at=s["ended_at"] if s else None))
    return records
