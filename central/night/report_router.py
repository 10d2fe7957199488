"""The night report for the handover, as CSV or printable HTML."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from central.dependencies import CareStaffDep, DbDep, NightQuery, SettingsDep
from central.i18n import pick_lang
from central.night import service
from central.night.report import report_rows, to_csv
from central.pages import PAGE_HEADERS, render
from central.visits.report import night_visits
from nattvakt.night import night_of

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.get("/night", response_class=Response, responses={
    200: {"content": {"text/csv": {}, "text/html": {}}, "description": "the report"}})
def night_report(
    db: DbDep, settings: SettingsDep, staff: CareStaffDep, night: NightQuery = None,
    format: Annotated[Literal["csv", "html"], Query(description="csv for a spreadsheet, html to print")] = "html",
    lang: Annotated[str, Query(pattern="^(sv|en)$")] = "sv",
) -> Response:
    """Every check-in and documented event of one night (default: the current one)."""
    now = datetime.now(UTC)
    which = night or night_of(now, settings.central.home_zone)
    nights = service.night_of_recipients(db, which, now, service.relook_after(settings))
    names = {n.recipient.id: n.recipient.name for n in nights}
    rows = report_rows(nights, service.event_outcomes(db, which), names, settings.central.home_zone)
    if format == "csv":
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="nattrapport-{which.isoformat()}.csv"',
            "Cache-Control": "no-store"})
    language = pick_lang(lang)
    html = render(
        "night_report.html", language, night=which.isoformat(), staff=staff.display_name,
        printed=now.astimezone(settings.central.home_zone).strftime("%Y-%m-%d %H:%M"),
        other_lang="en" if language == "sv" else "sv",
        checkins=[r for r in rows if r.kind in ("checkin", "relook")],
        event_rows=[r for r in rows if r.kind not in ("checkin", "relook")],
        visits=night_visits(db, which, now, service.relook_after(settings), settings.central.home_zone),
    )
    return HTMLResponse(html, headers=PAGE_HEADERS)
