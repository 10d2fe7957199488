"""The transparency report as printable HTML, for nurse_admin staff (the recipient's own link serves it too)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from central.audit.report_page import FromDay, ToDay, render_report
from central.dependencies import DbDep, LangQuery, NurseAdminDep, found
from central.i18n import pick_lang

router = APIRouter(prefix="/api/recipients", tags=["transparency"])


@router.get("/{recipient_id}/transparency", response_class=HTMLResponse)
def transparency(
    recipient_id: int, request: Request, db: DbDep, _staff: NurseAdminDep,
    start_day: FromDay = None, end_day: ToDay = None, lang: LangQuery = "sv",
) -> HTMLResponse:
    """Printable report for one recipient and period (local dates, inclusive; default the last 30 days)."""
    return render_report(db, found(db, recipient_id), start_day, end_day, pick_lang(lang), request)
