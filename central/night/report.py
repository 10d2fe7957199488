"""The night report for the handover: every check-in and documented event of one night, as CSV or printable HTML."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from central.db import aware
from central.night.models import Outcome
from central.night.service import RecipientNight
from central.night.slots import Slot

CSV_COLUMNS = ("kind", "recipient", "room", "time", "state", "outcome", "note", "staff", "documented_at")


@dataclass(frozen=True, slots=True)
class ReportRow:
    kind: str
    """`checkin`, `relook` or an event kind."""
    recipient: str
    room: str
    time: str
    """Local HH:MM of the check-in, or of the event's start."""
    state: str
    outcome: str
    note: str
    staff: str
    documented_at: str


def _local(moment: datetime, home: ZoneInfo) -> str:
    return aware(moment).astimezone(home).strftime("%H:%M")


def _slot_row(night: RecipientNight, slot: Slot, home: ZoneInfo) -> ReportRow:
    state = slot.state if slot.state != "skipped" or slot.skip_reason != "paused" else "skipped_paused"
    o = slot.outcome
    return ReportRow(
        kind="relook" if slot.relook_of else "checkin", recipient=night.recipient.name, room=night.recipient.room,
        time=_local(slot.slot_at, home), state=state, outcome=o.outcome if o else "", note=o.note if o else "",
        staff=o.staff if o else "", documented_at=_local(o.recorded_at, home) if o else "",
    )


def report_rows(nights: list[RecipientNight], events: list[Outcome], names: dict[int, str],
                home: ZoneInfo) -> list[ReportRow]:
    """Check-ins per recipient in time order, then documented events in the order they were documented."""
    rows = [_slot_row(n, s, home) for n in nights for s in n.slots]
    rows += [ReportRow(kind=e.event_kind or "event", recipient=names.get(e.recipient_id or 0, ""), room=e.room,
                       time=_local(e.event_at or e.recorded_at, home), state="done", outcome=e.outcome, note=e.note,
                       staff=e.staff, documented_at=_local(e.recorded_at, home)) for e in events]
    return rows


def to_csv(rows: list[ReportRow]) -> str:
    """Machine-readable codes (states, outcomes) so a spreadsheet can count them; notes quoted as written."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        cells = [getattr(row, c) for c in CSV_COLUMNS]
        # a note starting with = + - @ would run as a formula in a spreadsheet: keep it text
        writer.writerow([("'" + c) if c[:1] in ("=", "+", "-", "@") else c for c in cells])
    return out.getvalue()
