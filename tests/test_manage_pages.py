"""The manager's and ops' pages (`central/manage`) over ASGI: who may open which page, what each shows, and the
recipient edits and consent status they rest on. The browser drives them in `test_manage_browser.py`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from camera_node.heartbeat import HeartbeatSender
from central.db import open_store
from central.manage.status import consent_status
from central.staff.service import upsert_staff
from nattvakt.events import Origin
from nattvakt.settings import Settings
from nattvakt.types import PRIVACY_LEVELS
from privacy.consent_model import Consent, ConsentScope, Grantor, GrantorRole, Pause, ScheduledWindow
from tests.conftest import STAFF_PASSWORD, Api, serve
from tests.recipients import new_recipient, terms

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def consent(**fields: object) -> Consent:
    start = NOW - timedelta(days=10)
    base: dict[str, object] = {
        "given_by": (Grantor(role=GrantorRole.RECIPIENT, name="Greta"),), "given_at": start, "valid_from": start,
        "scope": ConsentScope(scheduled=(ScheduledWindow(at=datetime(2026, 1, 1, 23).time()),)),
        "recipient_id": 1, "version": 1, "recorded_at": start, "recorded_by": "sara"}
    return Consent.model_validate({**base, **fields})


def test_consent_status_in_the_order_that_matters() -> None:
    assert consent_status(None, NOW) == "none"
    assert consent_status(consent(), NOW) == "valid"
    assert consent_status(consent(valid_until=NOW + timedelta(days=5)), NOW) == "expiring"
    assert consent_status(consent(valid_until=NOW + timedelta(days=90)), NOW) == "valid"
    assert consent_status(consent(valid_until=NOW - timedelta(hours=1)), NOW) == "expired"
    assert consent_status(consent(valid_from=NOW + timedelta(days=1)), NOW) == "not_yet_valid"
    tonight = Pause(start=NOW + timedelta(hours=2), end=NOW + timedelta(hours=14), set_by="Greta")
    assert consent_status(consent(pauses=(tonight,)), NOW) == "paused_tonight"
    last_week = Pause(start=NOW - timedelta(days=7), end=NOW - timedelta(days=6), set_by="Greta")
    assert consent_status(consent(pauses=(last_week,)), NOW) == "valid"
    assert consent_status(consent(pauses=(tonight,), withdrawn_at=NOW - timedelta(minutes=1)), NOW) == "withdrawn"


@pytest.fixture
async def pages(settings: Settings) -> AsyncIterator[tuple[Api, httpx.AsyncClient]]:
    """The app with a nurse_admin, night staff and an ops member logged in."""
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        upsert_staff(db, "olle", STAFF_PASSWORD, "ops")
    engine.dispose()
    async with serve(settings) as api:
        assert (await api.anon.post("/api/login", json={"username": "olle", "password": STAFF_PASSWORD})).is_success
        yield api, api.anon


async def test_each_page_opens_only_for_its_roles(pages: tuple[Api, httpx.AsyncClient], settings: Settings) -> None:
    api, ops = pages
    rid = await new_recipient(api)
    token = await ops.post("/api/nodes/node-a/token")
    assert token.status_code == 201
    cases = [("/manage/recipients", {"sara"}), (f"/manage/recipients/{rid}", {"sara"}),
             ("/manage/nodes", {"sara", "olle"}), ("/manage/nodes/node-a/zones", {"olle"})]
    for path, allowed in cases:
        for who, client in (("sara", api.nurse), ("nils", api.night), ("olle", ops)):
            page = await client.get(path)
            if who in allowed:
                assert page.status_code == 200, (path, who, page.text[:300])
                assert page.headers["content-type"].startswith("text/html")
                assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
            else:
                assert page.status_code == 403, (path, who)
                assert "Inte för din roll" in page.text
    async with httpx.AsyncClient(transport=api.nurse._transport, base_url="http://test") as nobody:
        for path, _allowed in cases:
            login = await nobody.get(path)
            assert login.status_code == 401 and 'data-api="/api/login"' in login.text, "not logged in: a login"
    assert (await api.nurse.get("/manage")).headers["location"] == "/manage/recipients"
    assert (await ops.get("/manage")).headers["location"] == "/manage/nodes"
    assert (await api.nurse.get("/manage/recipients/9999")).status_code == 404
    assert (await ops.get("/manage/nodes/no-such/zones")).status_code == 404
    assert (await ops.get("/manage/nodes/bad%20id/zones")).status_code == 422


async def test_the_list_shows_status_camera_and_tonight_and_searches(pages: tuple[Api, httpx.AsyncClient]) -> None:
    api, _ops = pages
    rid = await new_recipient(api)
    assert (await api.nurse.post(f"/api/recipients/{rid}/consent", json=terms())).status_code == 201
    other = (await api.nurse.post("/api/recipients", json={"name": "Bo Berg", "room": "rum-9"})).json()["id"]
    page = (await api.nurse.get("/manage/recipients")).text
    assert "Greta Andersson" in page and "Bo Berg" in page and "node-a" in page
    assert "Giltigt" in page and "Inget samtycke" in page, "valid for Greta, none for Bo"
    assert 'class="slot state-due"' in page and "Att göra nu" in page, "tonight's check-in, open now"
    found = (await api.nurse.get("/manage/recipients", params={"q": "rum-9"})).text
    assert "Bo Berg" in found and "Greta Andersson" not in found
    english = (await api.nurse.get("/manage/recipients", params={"lang": "en"})).text
    assert "Recipients" in english and "No consent" in english
    assert "Recipients" in (await api.nurse.get("/manage/recipients")).text, "the language is remembered"
    detail = (await api.nurse.get(f"/manage/recipients/{other}", params={"lang": "sv"})).text
    assert "Inget samtycke registrerat." in detail and 'value="23:00"' in detail, "a first consent's defaults"
    summary = await api.nurse.get(f"/manage/recipients/{rid}/consent-summary")
    assert summary.status_code == 200 and "Karl Andersson (Sambo)" in summary.text and "± 20 min" in summary.text
    assert "Ligger på golvet" in summary.text and "pixlad bild" in summary.text and "tills vidare" in summary.text
    assert (await api.nurse.get(f"/manage/recipients/{other}/consent-summary")).status_code == 404
    assert (await api.night.get(f"/manage/recipients/{rid}/consent-summary")).status_code == 403
    pictures = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', detail)
    assert len(pictures) == len(PRIVACY_LEVELS) == len(set(pictures)), "one picture per level, each different"


async def test_edit_and_deactivate_keep_what_was_documented(pages: tuple[Api, httpx.AsyncClient]) -> None:
    api, _ops = pages
    rid = await new_recipient(api)
    assert (await api.nurse.post(f"/api/recipients/{rid}/consent", json=terms())).status_code == 201
    renamed = await api.nurse.patch(f"/api/recipients/{rid}", json={"name": "Greta A.", "room": "rum-8"})
    assert renamed.status_code == 200 and renamed.json()["room"] == "rum-8"
    assert (await api.night.patch(f"/api/recipients/{rid}", json={"active": False})).status_code == 403
    assert (await api.nurse.patch(f"/api/recipients/{rid}", json={"name": ""})).status_code == 422
    tonight = (await api.night.get("/api/tonight")).json()["recipients"]
    (slot,) = next(r for r in tonight if r["id"] == rid)["slots"]
    assert (await api.night.post("/api/checkins/outcome", json={
        "recipient_id": rid, "slot_at": slot["slot_at"], "outcome": "sleeping"})).status_code == 201
    assert (await api.nurse.patch(f"/api/recipients/{rid}", json={"active": False})).json()["active"] is False
    after = next(r for r in (await api.night.get("/api/tonight")).json()["recipients"] if r["id"] == rid)
    assert [(s["slot_at"], s["state"]) for s in after["slots"]] == [(slot["slot_at"], "done")]
    assert "Inaktiv" in (await api.nurse.get("/manage/recipients")).text


async def test_staff_roles_passwords_and_deactivation(pages: tuple[Api, httpx.AsyncClient]) -> None:
    api, ops = pages
    assert (await api.nurse.get("/manage/staff")).status_code == 200
    assert (await api.night.get("/manage/staff")).status_code == 403
    assert (await ops.get("/manage/staff")).status_code == 403
    own = await api.nurse.patch("/api/staff/sara", json={"role": "night_staff"})
    assert own.status_code == 409 and "your own admin role" in own.json()["detail"]
    assert (await api.nurse.patch("/api/staff/sara", json={"active": False})).status_code == 409
    assert (await api.nurse.put("/api/staff", json={"username": "sara", "password": "långt-nog-1",
                                                    "role": "ops"})).status_code == 409, "not by the back door"
    assert (await api.nurse.patch("/api/staff/nobody", json={"active": False})).status_code == 404

    reset = await api.nurse.post("/api/staff/nils/password")
    assert reset.status_code == 201
    password = reset.json()["password"]
    assert (await api.night.get("/api/tonight")).status_code == 401, "a reset ends the old sessions"
    old = await api.night.post("/api/login", json={"username": "nils", "password": STAFF_PASSWORD})
    assert old.status_code == 401
    assert (await api.night.post("/api/login", json={"username": "nils", "password": password})).status_code == 200

    gone = await api.nurse.patch("/api/staff/nils", json={"active": False})
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert (await api.night.get("/api/tonight")).status_code == 401, "deactivated: logged out at once"
    assert (await api.night.post("/api/login", json={"username": "nils", "password": password})).status_code == 401
    page = (await api.nurse.get("/manage/staff")).text
    assert "Inaktiv" in page and "Nattpersonal" in page
    back = (await api.nurse.post("/api/staff/nils/password")).json()["password"]
    assert (await api.night.post("/api/login", json={"username": "nils", "password": back})).status_code == 200

    assert (await api.nurse.put("/api/staff", json={"username": "eva", "password": "långt-nog-1",
                                                    "role": "nurse_admin"})).status_code == 200
    demoted = await api.nurse.patch("/api/staff/eva", json={"role": "night_staff"})
    assert demoted.status_code == 200 and demoted.json()["role"] == "night_staff", "another admin may be changed"


async def test_the_camera_list_shows_each_nodes_last_heartbeat_and_health(
    pages: tuple[Api, httpx.AsyncClient], settings: Settings
) -> None:
    api, ops = pages
    assert (await ops.post("/api/nodes/kamera-3/token")).status_code == 201
    beat = HeartbeatSender(settings.redis_url_or_default(), settings.events_stream, Origin("kamera-3", "rum-3"), 10,
                           status=lambda: {"fps": 9.5, "camera_fault": "covered", "detector": "degraded",
                                           "spool_backlog": 4})
    await beat.beat()
    await beat.stop()
    page = (await ops.get("/manage/nodes")).text
    row = page[page.index('data-node-id="kamera-3"'):]
    row = row[:row.index("</tr>")]
    assert "I drift" in row and "9.5 fps" in row and "kamerafel: covered" in row and "nedsatt" in row
    assert "händelser i kö: 4" in row and "Rita zoner (0)" in row
    assert "Rita zoner" not in (await api.nurse.get("/manage/nodes")).text, "zones are for ops"
