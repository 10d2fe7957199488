"""The transparency report: who looked at one recipient, when, why and for how long, and every consent change.

Built from the audit trail (look-in records) and the consent versions; rendered as printable HTML by
`central.pages`. The look-in records come from `central.lookins`: authorised or refused by central, then started
and stopped as the node reports them, all carrying the same `lookin_id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from privacy.audit import AuditRecord
from privacy.consent_model import Consent

LOOKIN_KINDS = ("lookin_authorized", "lookin_refused", "lookin_started", "lookin_stopped")


@dataclass
class LookRow:
    """One look-in (or refused request)."""

    lookin_id: str
    asked_at: datetime
    staff: str
    action: str
    reason: str
    allowed: bool
    refusal_code: str = ""
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    shown_s: float | None = None
    """How long the node sent frames, as it reported at the stop; the report's length when known."""

    @property
    def seconds(self) -> int | None:
        if self.shown_s is not None:
            return round(self.shown_s)
        if self.started_at is None or self.stopped_at is None:
            return None
        return round((self.stopped_at - self.started_at).total_seconds())


@dataclass(frozen=True)
class Report:
    looks: list[LookRow]
    changes: list[Consent]
    start: datetime
    end: datetime
    zone: ZoneInfo


def period(start_day: date | None, end_day: date | None, today: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Local whole days [start_day 00:00, end_day+1 00:00); the last 30 days by default."""
    end_day = end_day or today
    start_day = start_day or end_day - timedelta(days=29)
    if end_day < start_day:
        raise ValueError(f"to ({end_day}) is before from ({start_day})")
    return (datetime.combine(start_day, time(0), tzinfo=zone),
            datetime.combine(end_day + timedelta(days=1), time(0), tzinfo=zone))


def build_report(records: list[AuditRecord], versions: list[Consent], start: datetime, end: datetime,
                 home: ZoneInfo) -> Report:
    zone = versions[-1].zone if versions else home
    looks: dict[str, LookRow] = {}
    for record in records:
        if record.kind not in LOOKIN_KINDS:
            continue
        lookin_id = str(record.details.get("lookin_id", ""))
        if record.kind in ("lookin_authorized", "lookin_refused"):
            looks[lookin_id] = LookRow(
                lookin_id=lookin_id, asked_at=record.at, staff=record.actor,
                action=str(record.details.get("action", "")), reason=str(record.details.get("reason", "")),
                allowed=record.kind == "lookin_authorized", refusal_code=str(record.details.get("code", "")),
            )
        elif lookin_id in looks:
            if record.kind == "lookin_started":
                looks[lookin_id].started_at = record.at
            else:
                looks[lookin_id].stopped_at = record.at
                shown = record.details.get("duration_s")
                if isinstance(shown, int | float) and record.details.get("started", True):
                    looks[lookin_id].shown_s = float(shown)
    changes = [v for v in versions if start <= v.recorded_at < end]
    return Report(sorted(looks.values(), key=lambda row: row.asked_at), changes, start, end, zone)
