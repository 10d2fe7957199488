"""The transparency report as a printable page: who looked at one recipient, when and why, and consent changes.

Served to nurse_admin staff and, through the personal link, to the recipient or a relative.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from central.audit import store as audit_store
from central.audit.report import LookRow, build_report, period
from central.consent import service
from central.consent.models import Recipient
from central.i18n import Lang, actor_words, change_words, gettext, word
from central.pages import PAGE_HEADERS, render
from privacy.consent_model import Consent

FromDay = Annotated[date | None, Query(alias="from", description="first local date (default: 30 days back)")]
ToDay = Annotated[date | None, Query(alias="to", description="last local date, inclusive (default: today)")]
_FMT = "%Y-%m-%d %H:%M"


def _why(row: LookRow, lang: Lang) -> str:
    if row.action == "event_lookin":
        return gettext(lang, "page.event_lookin").format(reason=word(lang, f"event.{row.reason}", row.reason))
    return word(lang, f"page.{row.action}", row.action)


def render_report(db: Session, recipient: Recipient, start_day: date | None, end_day: date | None, lang: Lang,
                  request: Request) -> HTMLResponse:
    versions = service.consent_history(db, recipient.id)
    home: ZoneInfo = request.app.state.settings.central.home_zone
    zone = versions[-1].zone if versions else home
    try:
        start, end = period(start_day, end_day, datetime.now(zone).date(), zone)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    report = build_report(audit_store.records_for(db, recipient.id, start, end), versions, start, end, home)
    looks = []
    for row in report.looks:
        seconds = row.seconds
        if not row.allowed:
            why = word(lang, f"refusal.{row.refusal_code}", row.refusal_code)
            outcome = gettext(lang, "page.refused").format(why=why)
        else:
            outcome = gettext(lang, "page.allowed" if row.started_at else "page.not_started")
        looks.append({
            "when": (row.started_at or row.asked_at).astimezone(zone).strftime(_FMT), "staff": row.staff,
            "why": _why(row, lang),
            "length": gettext(lang, "page.seconds").format(n=seconds) if seconds is not None else "–",
            "outcome": outcome, "allowed": row.allowed,
        })
    changes = [{
        "when": c.recorded_at.astimezone(zone).strftime(_FMT), "version": c.version,
        "by": actor_words(c.recorded_by, lang),
        "what": change_words(c.change, lang) + (_terms_summary(c, lang) if c.change == "terms recorded" else ""),
    } for c in report.changes]
    other = dict(request.query_params) | {"lang": "en" if lang == "sv" else "sv"}
    html = render(
        "transparency.html", lang, name=recipient.name, looks=looks, changes=changes,
        start=start.date().isoformat(), end=(end - timedelta(days=1)).date().isoformat(),
        printed=datetime.now(UTC).astimezone(zone).strftime(_FMT), query_other_lang=urlencode(other),
    )
    return HTMLResponse(html, headers=PAGE_HEADERS)


def _terms_summary(consent: Consent, lang: Lang) -> str:
    windows = ", ".join(w.label() for w in consent.scope.in_night_order()) or "–"
    kinds = ", ".join(word(lang, f"event.{k}", k) for k in sorted(consent.scope.event_kinds)) or "–"
    level = gettext(lang, f"page.{consent.scope.privacy_level}")
    return f": {windows}; {kinds}; {level}; ≤ {consent.scope.max_lookin_s} s"
