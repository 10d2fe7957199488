"""Follow-up figures for the municipality: pure functions from the records the product keeps to counts per night.

Nights are the home's local nights (`nattvakt.night`, noon to noon): an event at 01:30 on 1 November belongs to the
night of 31 October, and a daylight-saving night is one night however many hours it has. Figures are aggregates with no
names; `suppress` hides small counts that could single a person out before anything leaves the server.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nattvakt.night import night_of, night_start

VISIT_OUTCOMES = frozenset({"visited", "camera_failed_visit"})
"""Outcomes documented after going into the room."""
DOWNTIME_KINDS = frozenset({"node_offline", "camera_fault"})
"""Events that mark a camera or node out of service from `started_at` to `ended_at`."""
RESPONSE_BINS_MIN = (1, 2, 5, 10, 15, 30, 60)
"""Upper bounds (minutes) of the response-time histogram; the last bin is open."""


@dataclass(frozen=True, slots=True)
class CheckinRecord:
    """One planned check-in (or re-look) of one night, with its state as of when the figures are made."""

    night: date
    slot_at: datetime
    window_end: datetime
    state: str
    """`done`, `overdue` (missed), `skipped`, `due` or `upcoming`."""
    skip_reason: str | None = None
    outcome: str | None = None
    recorded_at: datetime | None = None
    camera_allowed: bool = True
    relook: bool = False


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One event (situation) and what became of it."""

    event_id: str
    kind: str
    started_at: datetime
    severity: int | None = None
    """1 info … 4 high; None when the event is known only from its documented outcome (trimmed from the stream)."""
    acknowledged_at: datetime | None = None
    documented_at: datetime | None = None
    outcome: str | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """A consent change from the audit trail; `pause` when the recipient (or staff for them) paused the camera."""

    at: datetime
    kind: str
    """`consent_change`, `pause` or `resume`."""


@dataclass(frozen=True, slots=True)
class LookinRecord:
    """A look-in that showed a picture (the node reported its first frame), for an event or a check-in."""

    started_at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Records:
    checkins: Sequence[CheckinRecord] = ()
    events: Sequence[EventRecord] = ()
    changes: Sequence[ChangeRecord] = ()
    lookins: Sequence[LookinRecord] = ()


@dataclass(slots=True)
class Figures:
    """Every follow-up figure of a set of nights. Times are seconds; rates are fractions 0-1."""

    nights: int = 0
    checkins_planned: int = 0
    checkins_done: int = 0
    checkins_late: int = 0
    checkins_missed: int = 0
    checkins_skipped_by_recipient: int = 0
    checkins_skipped_other: int = 0
    relooks: int = 0
    lookins_digital: int = 0
    visits_physical: int = 0
    visits_avoided: int = 0
    visits_due_to_downtime: int = 0
    events: int = 0
    events_by_kind: dict[str, int] = field(default_factory=dict)
    events_by_severity: dict[str, int] = field(default_factory=dict)
    ack_n: int = 0
    ack_median_s: float | None = None
    ack_p90_s: float | None = None
    documented_n: int = 0
    documented_median_s: float | None = None
    documented_p90_s: float | None = None
    false_alarms: int = 0
    false_alarms_by_kind: dict[str, int] = field(default_factory=dict)
    documented_by_kind: dict[str, int] = field(default_factory=dict)
    false_alarm_rate_by_kind: dict[str, float | None] = field(default_factory=dict)
    outages: int = 0
    downtime_s: float = 0.0
    consent_changes: int = 0
    pauses: int = 0
    response_histogram: list[int] = field(default_factory=list)
    """Events per documented-response bin, bins as `RESPONSE_BINS_MIN`."""

    @property
    def has_data(self) -> bool:
        return bool(self.checkins_planned or self.events or self.consent_changes or self.pauses or self.outages)


def month_nights(year: int, month: int) -> list[date]:
    """The nights that begin in the month (the last one ends on the 1st of the next month)."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((following - first).days)]


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value that at least p % of the values do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(math.ceil(p / 100 * len(ordered)), 1) - 1])


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else max((end - start).total_seconds(), 0.0)


def _histogram(seconds: Iterable[float]) -> list[int]:
    bins = [0] * (len(RESPONSE_BINS_MIN) + 1)
    for s in seconds:
        bins[next((i for i, upper in enumerate(RESPONSE_BINS_MIN) if s <= upper * 60), len(RESPONSE_BINS_MIN))] += 1
    return bins


def _downtime(events: Sequence[EventRecord], start: datetime, end: datetime) -> tuple[int, float]:
    """Outages that overlap [start, end) and their seconds inside it; an outage still open lasts to `end`."""
    count, seconds = 0, 0.0
    for e in events:
        if e.kind not in DOWNTIME_KINDS:
            continue
        lo, hi = max(e.started_at, start), min(e.ended_at or end, end)
        if lo < hi or start <= e.started_at < end:
            count += 1
            seconds += max((hi - lo).total_seconds(), 0.0)
    return count, seconds


def figures(records: Records, nights: Sequence[date], now: datetime, zone: ZoneInfo) -> Figures:
    """The figures of the given nights; records outside them are ignored, so callers may pass a wider set."""
    wanted = set(nights)
    f = Figures(nights=len(wanted))
    checkins = [c for c in records.checkins if c.night in wanted]
    for c in checkins:
        if c.relook:
            f.relooks += 1
            continue
        f.checkins_planned += 1
        if c.state == "done":
            f.checkins_done += 1
            if c.recorded_at is not None and c.recorded_at >= c.window_end:
                f.checkins_late += 1
        elif c.state == "overdue":
            f.checkins_missed += 1
        elif c.state == "skipped":
            if c.skip_reason == "paused":
                f.checkins_skipped_by_recipient += 1
            else:
                f.checkins_skipped_other += 1
    for c in checkins:  # re-looks are look-ins or visits too
        if c.state != "done" or c.outcome is None:
            continue
        if c.outcome in VISIT_OUTCOMES or not c.camera_allowed:
            f.visits_physical += 1
            f.visits_due_to_downtime += c.outcome == "camera_failed_visit"
        else:
            f.visits_avoided += c.outcome != "needs_visit"
    # Every look-in that showed a picture, whatever its reason and whether or not it was documented.
    f.lookins_digital = sum(night_of(look.started_at, zone) in wanted for look in records.lookins)

    events = [e for e in records.events if night_of(e.started_at, zone) in wanted]
    care = [e for e in events if e.kind not in DOWNTIME_KINDS]
    f.events = len(events)
    f.events_by_kind = dict(sorted(Counter(e.kind for e in events).items()))
    f.events_by_severity = dict(sorted(Counter(str(e.severity or "unknown") for e in events).items()))
    acks = [s for e in care if (s := _seconds(e.started_at, e.acknowledged_at)) is not None]
    documented = [s for e in care if (s := _seconds(e.started_at, e.documented_at)) is not None]
    f.ack_n, f.ack_median_s, f.ack_p90_s = len(acks), median(acks), percentile(acks, 90)
    f.documented_n, f.documented_median_s, f.documented_p90_s = (
        len(documented), median(documented), percentile(documented, 90))
    f.response_histogram = _histogram(documented)
    by_kind: dict[str, list[EventRecord]] = defaultdict(list)
    for e in events:
        if e.outcome is not None:
            by_kind[e.kind].append(e)
    f.documented_by_kind = {k: len(v) for k, v in sorted(by_kind.items())}
    f.false_alarms_by_kind = {k: sum(e.outcome == "false_alarm" for e in v) for k, v in sorted(by_kind.items())}
    f.false_alarms = sum(f.false_alarms_by_kind.values())
    f.false_alarm_rate_by_kind = {k: f.false_alarms_by_kind[k] / n for k, n in f.documented_by_kind.items()}

    if wanted:
        start = night_start(min(wanted), zone)
        end = min(night_start(max(wanted) + timedelta(days=1), zone), max(now, start))
        f.outages, f.downtime_s = _downtime(records.events, start, end)
    changes = [c for c in records.changes if night_of(c.at, zone) in wanted]
    f.consent_changes = sum(c.kind == "consent_change" for c in changes)
    f.pauses = sum(c.kind == "pause" for c in changes)
    return f


def iso_week(night: date) -> str:
    year, week, _ = night.isocalendar()
    return f"{year}-W{week:02d}"


def weekly(records: Records, nights: Sequence[date], now: datetime, zone: ZoneInfo) -> list[tuple[str, Figures]]:
    """The figures per ISO week of the night's start date, in order (for the trend plot)."""
    weeks: dict[str, list[date]] = defaultdict(list)
    for night in sorted(nights):
        weeks[iso_week(night)].append(night)
    return [(week, figures(records, group, now, zone)) for week, group in weeks.items()]


COUNT_FIELDS = (
    "checkins_planned", "checkins_done", "checkins_late", "checkins_missed", "checkins_skipped_by_recipient",
    "checkins_skipped_other", "relooks", "lookins_digital", "visits_physical", "visits_avoided",
    "visits_due_to_downtime", "events", "false_alarms", "outages", "consent_changes", "pauses",
)
TIME_FIELDS = (("ack_n", "ack_median_s", "ack_p90_s"), ("documented_n", "documented_median_s", "documented_p90_s"))


def _small(n: int, threshold: int) -> bool:
    return 0 < n < threshold


def suppress(f: Figures, threshold: int) -> dict[str, Any]:
    """The figures as shown outside: a count 1 … threshold-1 becomes None (shown as "fewer than N"), and times and
    rates resting on fewer than `threshold` events become None too. Zero singles nobody out and is shown."""
    out: dict[str, Any] = {"nights": f.nights, "downtime_s": round(f.downtime_s, 1), "has_data": f.has_data}
    for name in COUNT_FIELDS:
        value: int = getattr(f, name)
        out[name] = None if _small(value, threshold) else value
    for n_name, median_name, p90_name in TIME_FIELDS:
        n: int = getattr(f, n_name)
        out[n_name] = None if _small(n, threshold) else n
        enough = n >= threshold
        out[median_name] = getattr(f, median_name) if enough else None
        out[p90_name] = getattr(f, p90_name) if enough else None
    for name in ("events_by_kind", "events_by_severity", "false_alarms_by_kind", "documented_by_kind"):
        counts: dict[str, int] = getattr(f, name)
        out[name] = {k: None if _small(v, threshold) else v for k, v in counts.items()}
    out["false_alarm_rate_by_kind"] = {  # a shown rate over a shown total would give a hidden count away
        k: (None if f.documented_by_kind[k] < threshold or _small(f.false_alarms_by_kind[k], threshold)
            else round(rate or 0.0, 4))
        for k, rate in f.false_alarm_rate_by_kind.items()
    }
    out["response_histogram"] = (f.response_histogram if f.documented_n >= threshold
                                 else [None] * len(f.response_histogram))
    return out


CSV_COLUMNS = ("period", *COUNT_FIELDS, "downtime_s", "ack_n", "ack_median_s", "ack_p90_s", "documented_n",
               "documented_median_s", "documented_p90_s")


def csv_header(kinds: Sequence[str]) -> list[str]:
    """The fixed columns, then per event kind its count, false alarms and false-alarm rate."""
    return [*CSV_COLUMNS, *(f"{what}:{kind}" for kind in kinds
                            for what in ("events", "false_alarms", "false_alarm_rate"))]


def csv_row(period: str, shown: dict[str, Any], threshold: int, kinds: Sequence[str] = ()) -> list[str]:
    """One CSV row; a suppressed count is written as `<N`, a time or rate that is absent or suppressed as empty."""
    cells: list[tuple[str, Any]] = [(name, shown[name]) for name in CSV_COLUMNS[1:]]
    for kind in kinds:
        cells += [("events", shown["events_by_kind"].get(kind, 0)),
                  ("false_alarms", shown["false_alarms_by_kind"].get(kind, 0)),
                  ("false_alarm_rate", shown["false_alarm_rate_by_kind"].get(kind))]
    row = [period]
    for name, value in cells:
        if value is None:
            row.append("" if name.endswith(("_s", "_rate")) else f"<{threshold}")
        else:
            row.append(f"{value:.1f}" if isinstance(value, float) and not name.endswith("_rate")
                       else f"{value:.4f}" if isinstance(value, float) else str(value))
    return row
