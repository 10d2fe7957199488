"""The manager's and ops' screens: recipients and consent (nurse_admin), rooms, cameras and zones (ops).

Pages are rendered on the server (Jinja2, autoescaped) from the same services the API uses; every change is made by
`/static/manage.js` through the existing API, so the role checks and validation live in one place. A page asks for
the same role as the API calls it makes; night staff get a page saying so, and without a login it shows a login
form (the night console's own login lets only care staff in, so ops log in here). Language: `?lang=en|sv`,
remembered in a cookie.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Annotated, Any, get_args

import segno
from anyio import from_thread
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from central.audit import store as audit_store
from central.consent import service as consent_service
from central.consent.models import Recipient
from central.dependencies import SESSION_COOKIE, DbDep, SettingsDep
from central.i18n import Lang, pick_lang
from central.lookins.hub import NodeUnavailableError
from central.manage.samples import level_samples
from central.manage.status import consent_status
from central.night import service as night_service
from central.night.slots import Slot
from central.nodes import service as nodes_service
from central.nodes.models import CameraNode, Room
from central.nodes.monitor import NodeMonitor
from central.nodes.stills import StillDesk
from central.pages import render
from central.staff.models import Staff
from central.staff.service import ROLES, staff_for_token
from nattvakt.events import EventKind
from nattvakt.lookin_protocol import STILL_LEVEL
from nattvakt.night import night_of
from nattvakt.types import PRIVACY_LEVELS, Action
from privacy.consent_model import Consent, GrantorRole
from privacy.consent_policy import decide

router = APIRouter(prefix="/manage", include_in_schema=False)
LANG_COOKIE = "nattvakt_lang"
NURSE = ("nurse_admin",)
OPS = ("ops",)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "frame-ancestors 'none'; form-action 'self'",
}
LOOKIN_KINDS = ("on_floor", "bed_exit", "out_of_bed_too_long", "person_not_visible", "left_room", "multiple_people")
"""Event kinds a consent may name as a reason to look in (care events, not faults)."""
ZONE_KINDS = ("bed", "floor", "door", "chair")
NodeId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


def page_lang(request: Request, lang: Annotated[str | None, Query(pattern="^(sv|en)$")] = None) -> Lang:
    return pick_lang(lang or request.cookies.get(LANG_COOKIE))


LangDep = Annotated[Lang, Depends(page_lang)]


class Page:
    """Who is asking, in which language; `answer` renders a template or the page that refuses."""

    def __init__(self, request: Request, db: Session, lang: Lang) -> None:
        token = request.cookies.get(SESSION_COOKIE)
        self.staff: Staff | None = staff_for_token(db, token) if token else None
        self.lang = lang
        self.path = request.url.path

    def refusal(self, roles: tuple[str, ...]) -> Response | None:
        if self.staff is None:  # its own login: the night console lets only care staff in
            return self.html("manage_login.html", 401)
        if self.staff.role not in roles:
            return self.html("manage_denied.html", 403, wanted=roles)
        return None

    def html(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        response = HTMLResponse(render(template, self.lang, staff=self.staff, path=self.path, **context),
                                status_code=status_code, headers=HEADERS)
        response.set_cookie(LANG_COOKIE, self.lang, samesite="strict", max_age=365 * 24 * 3600)
        return response


def _page(request: Request, db: DbDep, lang: LangDep) -> Page:
    return Page(request, db, lang)


PageDep = Annotated[Page, Depends(_page)]


@router.get("")
def home(page: PageDep) -> Response:
    if page.staff is not None and page.staff.role in NURSE:
        return RedirectResponse("/manage/recipients", status_code=303)
    if page.staff is not None and page.staff.role in OPS:
        return RedirectResponse("/manage/nodes", status_code=303)
    return page.refusal(NURSE + OPS) or RedirectResponse("/", status_code=303)  # care staff: to the console


def _tonight(db: Session, settings: SettingsDep, now: datetime) -> dict[int, list[Slot]]:
    night = night_of(now, settings.central.home_zone)
    return {n.recipient.id: n.slots
            for n in night_service.night_of_recipients(db, night, now, night_service.relook_after(settings))}


@router.get("/recipients")
def recipients(page: PageDep, db: DbDep, settings: SettingsDep,
               q: Annotated[str, Query(max_length=128)] = "") -> Response:
    if (refused := page.refusal(NURSE)) is not None:
        return refused
    now = datetime.now(UTC)
    tonight = _tonight(db, settings, now)
    needle = q.strip().casefold()
    rows = []
    for r in consent_service.list_recipients(db):
        if needle and needle not in r.name.casefold() and needle not in r.room.casefold():
            continue
        consent = consent_service.current_consent(db, r.id)
        rows.append({"recipient": r, "nodes": consent_service.nodes_of(db, r.id),
                     "status": consent_status(consent, now), "slots": tonight.get(r.id, [])})
    return page.html("manage_recipients.html", rows=rows, q=q, zone=settings.central.home_zone)


def _consent_form(consent: Consent | None, home: str) -> dict[str, Any]:
    """What the consent editor starts from: the current terms, or sensible defaults for a first consent."""
    if consent is None:
        return {"given_by": [{"role": "recipient", "name": ""}], "valid_from": None, "valid_until": None,
                "given_at": None, "timezone": home,
                "scope": {"scheduled": [{"at": "23:00", "window_min": 15}, {"at": "03:00", "window_min": 15}],
                          "event_kinds": ["on_floor"], "privacy_level": "silhouette", "max_lookin_s": 30,
                          "detection": True}}
    form: dict[str, Any] = json.loads(consent.model_dump_json(
        include={"given_by", "given_at", "valid_from", "valid_until", "timezone", "scope"}))
    return form


def _managed_recipient(page: Page, db: Session, recipient_id: int) -> Recipient | Response:
    """The recipient a manager's page is about, or the page saying why not (not a manager, or no such recipient)."""
    if (refused := page.refusal(NURSE)) is not None:
        return refused
    try:
        return consent_service.get_recipient(db, recipient_id)
    except consent_service.NotFoundError:
        return page.html("manage_denied.html", 404, wanted=())


@router.get("/recipients/{recipient_id}")
def recipient(recipient_id: int, page: PageDep, db: DbDep, settings: SettingsDep) -> Response:
    if isinstance(person := _managed_recipient(page, db, recipient_id), Response):
        return person
    now = datetime.now(UTC)
    consent = consent_service.current_consent(db, recipient_id)
    return page.html(
        "manage_recipient.html", recipient=person, consent=consent, status=consent_status(consent, now),
        history=list(reversed(consent_service.consent_history(db, recipient_id))),
        nodes=consent_service.nodes_of(db, recipient_id), slots=_tonight(db, settings, now).get(recipient_id, []),
        form=_consent_form(consent, settings.central.home_timezone), kinds=LOOKIN_KINDS, levels=PRIVACY_LEVELS,
        roles=[r.value for r in GrantorRole], zone=settings.central.home_zone, all_kinds=get_args(EventKind),
        samples=level_samples(),
    )


@router.get("/nodes")
def nodes(page: PageDep, db: DbDep, request: Request) -> Response:
    if (refused := page.refusal(NURSE + OPS)) is not None:
        return refused
    monitor: NodeMonitor = request.app.state.node_monitor
    seen = from_thread.run(monitor.last_seen)
    beats = from_thread.run(monitor.details)
    known = {n.node_id: n for n in db.scalars(select(CameraNode))}
    rooms = nodes_service.list_rooms(db)
    room_of = {room.recipient_id: room.name for room in rooms if room.recipient_id is not None}
    people = {r.id: r for r in consent_service.list_recipients(db)}
    now_ms = datetime.now(UTC).timestamp() * 1000
    offline_after_ms = request.app.state.settings.central.node_offline_after_s * 1000
    rows = []
    for node_id in sorted(set(known) | set(seen)):
        node = known.get(node_id)
        last = seen.get(node_id)
        person = people.get(node.recipient_id) if node and node.recipient_id else None
        rows.append({
            "node_id": node_id, "registered": node is not None, "paired": bool(node and node.token_hash),
            "recipient": person.name if person else None,
            "room": (room_of.get(person.id) or person.room) if person else None,
            "last_seen": datetime.fromtimestamp(last / 1000, UTC) if last else None,
            "health": "never" if last is None else "online" if now_ms - last < offline_after_ms else "offline",
            "zones": len(nodes_service.zones_of(db, node_id)) if node else 0,
            "beat": beats.get(node_id, {}),
        })
    return page.html("manage_nodes.html", rows=rows, rooms=rooms, people=people,
                     zone=request.app.state.settings.central.home_zone)


@router.get("/nodes/{node_id}/zones")
def zones(node_id: NodeId, page: PageDep, db: DbDep) -> Response:
    if (refused := page.refusal(OPS)) is not None:
        return refused
    node = db.get(CameraNode, node_id)
    if node is None:
        return page.html("manage_denied.html", 404, wanted=())
    room = db.scalars(select(Room).where(Room.recipient_id == node.recipient_id)).first() \
        if node.recipient_id is not None else None
    drawn = [z.model_dump(mode="json") for z in nodes_service.zones_of(db, node_id)]
    return page.html("manage_zones.html", node_id=node_id, room=room.name if room else None,
                     zones_json=json.dumps(drawn), zone_kinds=ZONE_KINDS)


@router.post("/nodes/{node_id}/still")
def still(node_id: NodeId, page: PageDep, db: DbDep, request: Request) -> Response:
    """One privacy-safe still of the node's view (`STILL_LEVEL`), to draw the zones on the room. It is a look into
    someone's room, so it is audited like a look-in (reason `installation`) and refused while the recipient's consent
    lets the camera see nothing (withdrawn, paused, expired, none); the picture is never stored."""
    if (refused := page.refusal(OPS)) is not None:
        return refused
    node = db.get(CameraNode, node_id)
    if node is None or page.staff is None:
        return JSONResponse({"detail": f"no camera node {node_id!r}"}, 404, headers=HEADERS)
    if node.recipient_id is not None:  # the recipient's consent must let the camera look at all now
        decision = decide(consent_service.current_consent(db, node.recipient_id), datetime.now(UTC), Action.DETECTION)
        if not decision.allowed and decision.code != "detection_off":
            audit_store.record(db, "commissioning_still_refused", page.staff.username, node.recipient_id,
                               {"node_id": node_id, "code": decision.code, "reason": "installation"})
            return JSONResponse({"detail": f"the consent does not allow a picture now: {decision.reason_text}",
                                 "code": decision.code}, 409, headers=HEADERS)
    desk: StillDesk = request.app.state.stills
    try:
        jpeg = from_thread.run(desk.ask, node_id, page.staff.username)
    except NodeUnavailableError as exc:
        return JSONResponse({"detail": str(exc), "code": "node_unavailable"}, 503, headers=HEADERS)
    audit_store.record(db, "commissioning_still", page.staff.username, node.recipient_id,
                       {"node_id": node_id, "level": STILL_LEVEL, "reason": "installation", "bytes": len(jpeg)})
    return JSONResponse({"image": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii"),
                         "level": STILL_LEVEL}, headers=HEADERS)


@router.post("/recipients/{recipient_id}/access-card")
def access_card(recipient_id: int, request: Request, page: PageDep, db: DbDep) -> Response:
    """Issue (or replace) the recipient's personal code and show it once, as a printable card with a QR code of the
    link; the previous code stops working. The code is not stored, so this page cannot be shown again."""
    if isinstance(person := _managed_recipient(page, db, recipient_id), Response):
        return person
    code = consent_service.issue_access_code(db, recipient_id, page.staff.username if page.staff else "")
    link = f"{str(request.base_url).rstrip('/')}/p/{code}"
    qr = Markup(segno.make(link, error="m").svg_inline(scale=5, dark="#000", light="#fff"))  # segno's own markup
    return page.html("manage_card.html", recipient=person, link=link, qr=qr)


@router.get("/staff")
def staff_page(page: PageDep, db: DbDep) -> Response:
    if (refused := page.refusal(NURSE)) is not None:
        return refused
    members = list(db.scalars(select(Staff).order_by(Staff.username)))
    return page.html("manage_staff.html", members=members, roles=ROLES)


@router.get("/recipients/{recipient_id}/consent-summary")
def consent_summary(recipient_id: int, page: PageDep, db: DbDep, settings: SettingsDep) -> Response:
    """The current consent in plain words, to print and give to the recipient."""
    if isinstance(person := _managed_recipient(page, db, recipient_id), Response):
        return person
    consent = consent_service.current_consent(db, recipient_id)
    if consent is None:
        return page.html("manage_denied.html", 404, wanted=())
    return page.html("manage_summary.html", recipient=person, consent=consent, zone=consent.zone,
                     samples=level_samples())
