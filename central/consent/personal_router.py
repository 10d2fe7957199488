"""Pausing the camera for tonight: by the recipient or a relative from their own page (personal link, no login),
or by staff on their behalf (recorded as such). The recipient's page also shows their report.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from babel.dates import format_date
from fastapi import APIRouter, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from central.audit.report_page import FromDay, ToDay, render_report
from central.consent import service
from central.consent.changes import apply_change
from central.consent.models import Recipient
from central.consent.schemas import ConsentChange, PauseIn
from central.dependencies import CareStaffDep, CopiesDep, DbDep, LangQuery, NurseAdminDep, SettingsDep
from central.i18n import Lang, gettext, pick_lang, word
from central.pages import PAGE_HEADERS, render
from privacy.consent_model import Consent

router = APIRouter(tags=["pause"])
RECIPIENT_ACTOR = "recipient"
"""Actor recorded for changes made from the personal page: the recipient or a relative holding their code."""


@router.post("/api/recipients/{recipient_id}/pause")
def staff_pause(recipient_id: int, body: PauseIn, db: DbDep, staff: CareStaffDep, copies: CopiesDep,
                settings: SettingsDep) -> ConsentChange:
    """Staff pause the camera for tonight on behalf of the recipient (or a relative) who asked."""
    return apply_change(db, copies, recipient_id, lambda: service.pause_tonight(
        db, recipient_id, staff.username, settings.central.pause_ends_hour, on_behalf_of=body.on_behalf_of))


@router.delete("/api/recipients/{recipient_id}/pause")
def staff_resume(recipient_id: int, db: DbDep, staff: NurseAdminDep, copies: CopiesDep) -> ConsentChange:
    """End tonight's pause early (nurse_admin only: it widens what the camera may do)."""
    return apply_change(db, copies, recipient_id,
                        lambda: service.resume(db, recipient_id, staff.username, staff.username))


def _bad_link(lang: Lang) -> HTMLResponse:
    html = f"<!doctype html><html lang='{lang}'><meta charset='utf-8'><p style='font-size:1.4rem'>" \
           f"{escape(gettext(lang, 'page.bad_link'))}</p></html>"
    return HTMLResponse(html, status_code=status.HTTP_404_NOT_FOUND, headers=PAGE_HEADERS)


def _until(moment: datetime, lang: Lang) -> str:
    """The pause's end with its day ("fredag 4 december 08:00"): a pause set after midnight ends the same day."""
    return f"{format_date(moment, 'EEEE d MMMM', locale=lang)} {moment:%H:%M}"


def _page_state(consent: Consent | None, now: datetime, lang: Lang) -> dict[str, object]:
    if consent is None:
        return {"state": "none"}
    if consent.withdrawn_at is not None:
        return {"state": "withdrawn"}
    for pause in consent.pauses:
        if pause.covers(now):
            return {"state": "paused", "paused_until": _until(pause.end.astimezone(consent.zone), lang)}
    scope = consent.scope
    return {
        "state": "on", "windows": [w.label() for w in scope.in_night_order()],
        "kinds": ", ".join(word(lang, f"event.{k}", k) for k in sorted(scope.event_kinds)),
        "level": scope.privacy_level, "max_s": scope.max_lookin_s,
    }


@router.get("/p/{code}", response_class=HTMLResponse, include_in_schema=False)
def personal_page(code: str, db: DbDep, lang: LangQuery = "sv") -> HTMLResponse:
    """The recipient's own page: what the camera may do now, a big pause button, and the report link."""
    language = pick_lang(lang)
    recipient = service.recipient_for_code(db, code)
    if recipient is None:
        return _bad_link(language)
    state = _page_state(service.current_consent(db, recipient.id), datetime.now(UTC), language)
    html = render("personal.html", language, name=recipient.name, code=code, **state)
    return HTMLResponse(html, headers=PAGE_HEADERS)


def _after_change(code: str, lang: Lang) -> RedirectResponse:
    return RedirectResponse(f"/p/{code}?lang={lang}", status_code=status.HTTP_303_SEE_OTHER, headers=PAGE_HEADERS)


def _recipient(db: DbDep, code: str) -> Recipient | None:
    return service.recipient_for_code(db, code)


@router.post("/p/{code}/pause", include_in_schema=False)
def personal_pause(code: str, db: DbDep, copies: CopiesDep, settings: SettingsDep,
                   lang: LangQuery = "sv") -> Response:
    language = pick_lang(lang)
    recipient = _recipient(db, code)
    if recipient is None:
        return _bad_link(language)
    apply_change(db, copies, recipient.id, lambda: service.pause_tonight(
        db, recipient.id, RECIPIENT_ACTOR, settings.central.pause_ends_hour))
    return _after_change(code, language)


@router.post("/p/{code}/resume", include_in_schema=False)
def personal_resume(code: str, db: DbDep, copies: CopiesDep, lang: LangQuery = "sv") -> Response:
    language = pick_lang(lang)
    recipient = _recipient(db, code)
    if recipient is None:
        return _bad_link(language)
    apply_change(db, copies, recipient.id, lambda: service.resume(db, recipient.id, RECIPIENT_ACTOR, RECIPIENT_ACTOR))
    return _after_change(code, language)


@router.get("/p/{code}/transparency", response_class=HTMLResponse, include_in_schema=False)
def personal_report(code: str, request: Request, db: DbDep, start_day: FromDay = None, end_day: ToDay = None,
                    lang: LangQuery = "sv") -> HTMLResponse:
    """The transparency report, reached with the personal link instead of a staff login."""
    language = pick_lang(lang)
    recipient = _recipient(db, code)
    if recipient is None:
        return _bad_link(language)
    return render_report(db, recipient, start_day, end_day, language, request)
