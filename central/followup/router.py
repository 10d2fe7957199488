"""The follow-up for the municipality: a month's figures per night and week, as JSON, CSV or a printable report."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from central.dependencies import SettingsDep, require_role
from central.followup import store
from central.followup.figures import (
    RESPONSE_BINS_MIN,
    Records,
    csv_header,
    csv_row,
    figures,
    month_nights,
    suppress,
    weekly,
)
from central.i18n import pick_lang
from central.night import service as night_service
from central.pages import PAGE_HEADERS, render
from central.record import store as record
from central.staff.models import Staff
from central.visits import records as visits_records
from central.visits.figures import followup_section
from nattvakt.night import night_of
from nattvakt.settings import Settings

router = APIRouter(prefix="/api/followup", tags=["followup"])
FollowupStaffDep = Annotated[Staff, Depends(require_role("nurse_admin", "ops"))]
MonthQuery = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$",
                                         description="YYYY-MM; default: the month of the current night")]


@dataclass(frozen=True, slots=True)
class MonthFigures:
    month: str
    min_count: int
    total: dict[str, Any]
    nights: list[tuple[date, dict[str, Any]]]
    weeks: list[tuple[str, dict[str, Any]]]
    visits: dict[str, Any]
    """Visits and calls (`central.visits.figures.followup_section`)."""


def _month(month: str | None, now: datetime, home: ZoneInfo) -> tuple[int, int]:
    if month is None:
        current = night_of(now, home)
        return current.year, current.month
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    assert match is not None  # the query's pattern
    year, number = int(match[1]), int(match[2])
    if not (1 <= number <= 12 and 2000 <= year <= 2100):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"month: {month!r} is not a month (YYYY-MM)")
    return year, number


def _load_db(sessions: sessionmaker[Session], nights: list[date], now: datetime, settings: Settings) -> tuple[
        Records, list[Any]]:
    with sessions() as db:
        home = settings.central.home_zone
        checkins = store.load_checkins(db, nights, now, night_service.relook_after(settings), home)
        outcomes = store.load_event_outcomes(db, nights)
        changes = store.load_changes(db, nights, home)
        lookins = store.load_lookins(db, nights, home)
        db.expunge_all()
    return Records(checkins=checkins, changes=changes, lookins=lookins), outcomes


def _load_record(sessions: sessionmaker[Session], nights: list[date], home: ZoneInfo) -> Any:
    with sessions() as db:
        start, end = store.period_bounds(nights, home)
        return record.load_events(db, start, end)


def _load_visits(sessions: sessionmaker[Session], nights: list[date]) -> Any:
    with sessions() as db:
        return visits_records.records_of(db, nights)


async def month_figures(request: Request, settings: Settings, month: str | None) -> MonthFigures:
    now = datetime.now(UTC)
    home = settings.central.home_zone
    year, number = _month(month, now, home)
    nights = month_nights(year, number)
    partial, outcomes = await run_in_threadpool(_load_db, request.app.state.sessionmaker, nights, now, settings)
    stream, acks = await store.load_stream_events(request.app.state.redis, settings.events_stream, nights, home)
    kept, kept_acks = await run_in_threadpool(_load_record, request.app.state.sessionmaker, nights, home)
    stream, acks = record.merged(stream, kept), kept_acks | acks  # the record keeps what the stream has trimmed
    records = Records(checkins=partial.checkins, events=store.join_events(stream, acks, outcomes),
                      changes=partial.changes, lookins=partial.lookins)
    threshold = settings.central.followup_min_count
    total = suppress(figures(records, nights, now, home), threshold)
    per_night = [(n, suppress(figures(records, [n], now, home), threshold)) for n in nights]
    visits, calls = await run_in_threadpool(_load_visits, request.app.state.sessionmaker, nights)
    avoided: dict[date | None, int | None] = {n: f["visits_avoided"] for n, f in per_night}
    avoided[None] = total["visits_avoided"]
    return MonthFigures(
        month=f"{year:04d}-{number:02d}", min_count=threshold, total=total, nights=per_night,
        weeks=[(week, suppress(f, threshold)) for week, f in weekly(records, nights, now, home)],
        visits=followup_section(visits, calls, nights, now, threshold, avoided),
    )


@router.get("")
async def followup(request: Request, settings: SettingsDep, _staff: FollowupStaffDep,
                   month: MonthQuery = None) -> dict[str, Any]:
    """The month's figures: in total, per night (the home's local nights) and per ISO week; small counts hidden."""
    m = await month_figures(request, settings, month)
    return {
        "month": m.month, "min_count": m.min_count, "has_data": m.total["has_data"],
        "response_bins_min": list(RESPONSE_BINS_MIN), "total": m.total,
        "nights": [{"night": n.isoformat(), **shown} for n, shown in m.nights],
        "weeks": [{"week": week, **shown} for week, shown in m.weeks],
        "visits": m.visits,
    }


@router.get("/csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def followup_csv(request: Request, settings: SettingsDep, _staff: FollowupStaffDep,
                       month: MonthQuery = None) -> Response:
    """One row per night, then one per week, then the month; per event kind its count and false alarms; a hidden
    small count reads `<N`."""
    m = await month_figures(request, settings, month)
    out = io.StringIO()
    writer = csv.writer(out)
    kinds = list(m.total["events_by_kind"])
    writer.writerow(csv_header(kinds))
    for night, shown in m.nights:
        writer.writerow(csv_row(night.isoformat(), shown, m.min_count, kinds))
    for week, shown in m.weeks:
        writer.writerow(csv_row(week, shown, m.min_count, kinds))
    writer.writerow(csv_row(m.month, m.total, m.min_count, kinds))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="uppfoljning-{m.month}.csv"', "Cache-Control": "no-store"})


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f}"


@router.get("/report", response_class=HTMLResponse)
async def followup_report(request: Request, settings: SettingsDep, staff: FollowupStaffDep, month: MonthQuery = None,
                          lang: Annotated[str, Query(pattern="^(sv|en)$")] = "sv") -> HTMLResponse:
    """The month's follow-up as a printable page a manager can attach to a decision."""
    m = await month_figures(request, settings, month)
    language = pick_lang(lang)
    html = render(
        "followup_report.html", language, m=m, minutes=_minutes,
        staff=staff.display_name or staff.username, other_lang="en" if language == "sv" else "sv",
        zone=settings.central.home_timezone,
        printed=datetime.now(UTC).astimezone(settings.central.home_zone).strftime("%Y-%m-%d %H:%M"),
    )
    return HTMLResponse(html, headers=PAGE_HEADERS)
