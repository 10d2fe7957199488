"""Visit and call figures of a set of nights: pure functions of the records (the night report and the follow-up).

Time to arrival runs from the cause (the fall, the unanswered call) to "framme". A visit is past its promise when
the patrol arrived after it, or has not arrived and the promise has passed. Visits avoided are the follow-up's own
figure (digital check-ins that needed no one to go in), handed in, not counted again here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from central.followup.figures import median, percentile


@dataclass(frozen=True, slots=True)
class VisitRecord:
    night: date
    cause: str
    cause_at: datetime
    promise_at: datetime
    arrived_at: datetime | None


@dataclass(frozen=True, slots=True)
class CallRecord:
    night: date
    outcome: str | None
    """None while the call is still to be made."""


@dataclass(frozen=True, slots=True)
class VisitFigures:
    visits: int = 0
    visits_by_cause: dict[str, int] = field(default_factory=dict)
    arrival_n: int = 0
    arrival_median_s: float | None = None
    arrival_p90_s: float | None = None
    visits_late: int = 0
    calls_made: int = 0
    calls_answered: int = 0
    visits_avoided: int = 0


def late(visit: VisitRecord, now: datetime) -> bool:
    """Past the promise: arrived after it, or still not there when it has passed."""
    return (visit.arrived_at or now) > visit.promise_at


def visit_figures(visits: Sequence[VisitRecord], calls: Sequence[CallRecord], visits_avoided: int,
                  now: datetime) -> VisitFigures:
    arrivals = [(v.arrived_at - v.cause_at).total_seconds() for v in visits if v.arrived_at is not None]
    made = [c for c in calls if c.outcome is not None]
    return VisitFigures(
        visits=len(visits), visits_by_cause=dict(sorted(Counter(v.cause for v in visits).items())),
        arrival_n=len(arrivals), arrival_median_s=median(arrivals), arrival_p90_s=percentile(arrivals, 90),
        visits_late=sum(late(v, now) for v in visits), calls_made=len(made),
        calls_answered=sum(c.outcome != "no_answer" for c in made), visits_avoided=visits_avoided,
    )


def by_night(visits: Sequence[VisitRecord], calls: Sequence[CallRecord], avoided: dict[date, int],
             nights: Sequence[date], now: datetime) -> list[tuple[date, VisitFigures]]:
    """The figures of each night, in order; `avoided` gives each night's visits avoided."""
    return [(n, visit_figures([v for v in visits if v.night == n], [c for c in calls if c.night == n],
                              avoided.get(n, 0), now)) for n in nights]


def shown(f: VisitFigures, threshold: int) -> dict[str, Any]:
    """As the follow-up shows figures outside: a count 1 … threshold-1 is None ("fewer than N"), and the arrival
    times need `threshold` arrivals, so a small figure cannot single a person out."""

    def small(n: int) -> bool:
        return 0 < n < threshold

    out: dict[str, Any] = asdict(f)
    for name in ("visits", "arrival_n", "visits_late", "calls_made", "calls_answered", "visits_avoided"):
        out[name] = None if small(out[name]) else out[name]
    out["visits_by_cause"] = {k: None if small(v) else v for k, v in f.visits_by_cause.items()}
    if f.arrival_n < threshold:
        out["arrival_median_s"] = out["arrival_p90_s"] = None
    return out


def followup_section(visits: Sequence[VisitRecord], calls: Sequence[CallRecord], nights: Sequence[date],
                     now: datetime, threshold: int, avoided: dict[date | None, int | None]) -> dict[str, Any]:
    """The month's and each night's visit figures as the follow-up shows them (`shown`); visits avoided are the
    follow-up's own figure for the same period (`avoided`, already shown; key None for the month)."""
    month = shown(visit_figures(visits, calls, 0, now), threshold) | {"visits_avoided": avoided.get(None)}
    return {"total": month, "nights": [
        {"night": n.isoformat(), **shown(f, threshold), "visits_avoided": avoided.get(n)}
        for n, f in by_night(visits, calls, {}, nights, now)]}
