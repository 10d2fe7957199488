"""Consent API end to end through the ASGI app with its lifespan, a real Redis and a SQLite store."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis

from central.audit import store as audit_store
from central.db import open_store
from nattvakt.consent_transport import copy_key, master_key
from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from privacy.audit import AuditRecord
from privacy.consent_signing import derive_node_key, verify_copy
from tests.conftest import Api
from tests.recipients import new_recipient, terms
from tests.signed import node_fields

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def node_copy(settings: Settings, node: str) -> Any:
    raw = redis.Redis.from_url(settings.redis_url_or_default(), decode_responses=True).hget(copy_key(node), "copy")
    key = master_key(settings, create=False)
    assert raw is not None and key is not None
    return verify_copy(raw, derive_node_key(key, node), node, 0)


def audit_records(settings: Settings) -> list[AuditRecord]:
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        records = list(audit_store.iter_records(db))
    engine.dispose()
    return records


async def authorize(api: Api, rid: int, action: str, reason: str = "") -> dict[str, Any]:
    """Ask for a look-in as the console does (`POST /api/lookins`): for an open event of kind `reason` in node-a's
    room, or for the check-in due now. No camera is connected here, so an allowed look-in ends at the camera (503);
    the decision is read from the audit record central wrote before it tried the camera."""
    if action == "event_lookin":
        event = Event(node="node-a", room="rum-7", kind=reason, severity=Severity.HIGH)
        client = redis.Redis.from_url(api.settings.redis_url_or_default())
        client.xadd(api.settings.events_stream, node_fields(api.settings, event))
        client.close()
        for _ in range(200):
            if any(e["event"]["id"] == event.id for e in (await api.night.get("/api/events")).json()):
                break
            await asyncio.sleep(0.025)
        reason_body: dict[str, Any] = {"event_id": event.id}
    else:
        reason_body = {"recipient_id": rid, "checkin_at": datetime.now(UTC).isoformat()}
    response = await api.night.post("/api/lookins", json={"sdp": "v=0\r\n", **reason_body})
    if response.status_code != 503:
        assert response.status_code == 403, response.text
        return {"allowed": False, "code": response.headers["x-lookin-refusal"]}
    assert response.headers["x-lookin-refusal"] == "node_unreachable", response.text
    decided = [r for r in audit_records(api.settings) if r.kind == "lookin_authorized" and r.recipient_id == rid]
    return {"allowed": True, **decided[-1].details}


async def test_only_nurse_admin_changes_consent(api: Api) -> None:
    rid = await new_recipient(api)
    denied = await api.night.post(f"/api/recipients/{rid}/consent", json=terms())
    assert denied.status_code == 403 and denied.headers["content-type"] == "application/problem+json"
    assert (await api.anon.get(f"/api/recipients/{rid}/consent")).status_code == 401
    assert (await api.night.post("/api/recipients", json={"name": "X"})).status_code == 403
    created = await api.nurse.post(f"/api/recipients/{rid}/consent", json=terms())
    assert created.status_code == 201, created.text
    assert (await api.night.get(f"/api/recipients/{rid}/consent")).json()["version"] == 1, "night staff may read"
    assert (await api.night.get(f"/api/recipients/{rid}/consent/history")).status_code == 403


@pytest.mark.parametrize(("scope", "field"), [
    ({"scheduled": [{"at": "23:00", "window_min": 15}, {"at": "23:10", "window_min": 15}]}, "scope.scheduled"),
    ({"privacy_level": "none"}, "scope.privacy_level"),
    ({"audio": True}, "scope.audio"),
])
async def test_bad_consent_is_422_naming_the_field(api: Api, scope: dict[str, Any], field: str) -> None:
    rid = await new_recipient(api)
    response = await api.nurse.post(f"/api/recipients/{rid}/consent", json=terms(**scope))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith(field), response.json()


async def test_end_before_start_is_rejected(api: Api) -> None:
    rid = await new_recipient(api)
    body = terms()
    body["valid_until"] = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    response = await api.nurse.post(f"/api/recipients/{rid}/consent", json=body)
    assert response.status_code == 422 and "valid_until" in response.json()["detail"]


async def test_consent_drives_authorisation_and_the_node_copy(api: Api) -> None:
    await consent_drives_authorisation_and_the_node_copy(api)


async def test_consent_flow_on_postgresql(api_on_postgresql: Api) -> None:
    await consent_drives_authorisation_and_the_node_copy(api_on_postgresql)


async def consent_drives_authorisation_and_the_node_copy(api: Api) -> None:
    rid = await new_recipient(api)
    assert (await authorize(api, rid, "event_lookin", "on_floor"))["code"] == "no_consent", "default deny"
    first = node_copy(api.settings, "node-a")
    assert first.consent is None

    await api.nurse.post(f"/api/recipients/{rid}/consent", json=terms())
    copy = node_copy(api.settings, "node-a")
    assert copy.copy_version > first.copy_version and copy.consent.version == 1
    assert copy.consent.scope.privacy_level == "pixelate"

    fall = await authorize(api, rid, "event_lookin", "on_floor")
    assert fall["allowed"] and fall["level"] == "pixelate" and 0 < fall["max_duration_s"] <= 30
    assert (await authorize(api, rid, "scheduled_lookin"))["allowed"]
    refused = await authorize(api, rid, "event_lookin", "motion")
    assert not refused["allowed"] and refused["code"] == "event_kind_not_consented"

    checkins = (await api.night.get(f"/api/recipients/{rid}/checkins")).json()
    assert any(c["allowed"] for c in checkins)

    withdrawn = await api.nurse.post(f"/api/recipients/{rid}/consent/withdraw", json={"withdrawn_by": "Greta"})
    assert withdrawn.status_code == 200 and withdrawn.json()["nodes_not_reached"] == []
    assert (await authorize(api, rid, "event_lookin", "on_floor"))["code"] == "withdrawn"
    assert node_copy(api.settings, "node-a").consent.withdrawn_at is not None
    history = (await api.nurse.get(f"/api/recipients/{rid}/consent/history")).json()
    assert [v["version"] for v in history] == [1, 2] and history[0]["withdrawn_at"] is None

    engine, sessions = open_store(api.settings.database_url)
    with sessions() as db:
        kinds = [r.kind for r in audit_store.iter_records(db)]
        assert audit_store.verify(db).ok
    engine.dispose()
    for kind in ("login", "recipient_created", "consent_changed", "lookin_authorized", "lookin_refused"):
        assert kind in kinds, kind


async def test_failed_logins_are_audited(api: Api) -> None:
    await api.anon.post("/api/login", json={"username": "mallory", "password": "wrong-password"})
    engine, sessions = open_store(api.settings.database_url)
    with sessions() as db:
        failed = [r for r in audit_store.iter_records(db) if r.kind == "login_failed"]
    engine.dispose()
    assert [r.actor for r in failed] == ["mallory"]


async def test_recipient_pauses_tonight_from_the_personal_page(api: Api) -> None:
    rid = await new_recipient(api)
    await api.nurse.post(f"/api/recipients/{rid}/consent", json=terms())
    code = (await api.nurse.post(f"/api/recipients/{rid}/access-code")).json()["code"]

    page = await api.anon.get(f"/p/{code}")
    assert page.status_code == 200 and 'id="pause"' in page.text and "Pausa kameran i natt" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Pause the camera tonight" in (await api.anon.get(f"/p/{code}?lang=en")).text

    paused = await api.anon.post(f"/p/{code}/pause?lang=sv")
    assert paused.status_code == 303
    assert (await authorize(api, rid, "event_lookin", "on_floor"))["code"] == "paused"
    assert node_copy(api.settings, "node-a").consent.pauses[-1].set_by == "recipient"
    page = await api.anon.get(f"/p/{code}")
    assert re.search(r"pausad till \w+dag \d{1,2} \w+ 0\d:\d\d", page.text) and 'id="resume"' in page.text

    assert (await api.anon.post(f"/p/{code}/resume")).status_code == 303
    assert (await authorize(api, rid, "event_lookin", "on_floor"))["allowed"]

    by_staff = await api.night.post(f"/api/recipients/{rid}/pause", json={"on_behalf_of": "dottern Eva"})
    assert by_staff.status_code == 200
    assert by_staff.json()["consent"]["change"] == "paused tonight by nils on behalf of dottern Eva"
    assert by_staff.json()["consent"]["pauses"][-1]["on_behalf_of"] == "dottern Eva"
    assert (await api.night.delete(f"/api/recipients/{rid}/pause")).status_code == 403, "night staff may not resume"
    assert (await api.nurse.delete(f"/api/recipients/{rid}/pause")).status_code == 200

    old_code = code
    await api.nurse.post(f"/api/recipients/{rid}/access-code")
    assert (await api.anon.get(f"/p/{old_code}")).status_code == 404, "a new code retires the old one"
    assert (await api.anon.post("/p/not-a-code/pause")).status_code == 404


async def test_transparency_report_in_both_languages(api: Api) -> None:
    rid = await new_recipient(api)
    await api.nurse.post(f"/api/recipients/{rid}/consent", json=terms())
    engine, sessions = open_store(api.settings.database_url)
    with sessions() as db:  # a look-in on a fall as central and the node record it (`central.lookins`)
        look = {"lookin_id": "01J00000000000000000000000", "action": "event_lookin", "reason": "on_floor"}
        for kind in ("lookin_authorized", "lookin_started", "lookin_stopped"):
            audit_store.record(db, kind, "nils", rid, look)
    engine.dispose()
    assert not (await authorize(api, rid, "event_lookin", "motion"))["allowed"]
    await api.anon.post(f"/p/{(await api.nurse.post(f'/api/recipients/{rid}/access-code')).json()['code']}/pause")

    sv = await api.nurse.get(f"/api/recipients/{rid}/transparency")
    assert sv.status_code == 200 and sv.headers["content-type"].startswith("text/html")
    for words in ("Vem har tittat? Rapport för Greta Andersson", "nils", "Larm: på golvet", "Tittade in", "0 s",
                  "Nekades: inget samtycke för detta larm",
                  "pausat i natt av brukaren eller anhörig (egen länk)", "pixlad bild", "@media print"):
        assert words in sv.text, words
    en = await api.nurse.get(f"/api/recipients/{rid}/transparency?lang=en")
    for words in ("Who has looked? Report for Greta Andersson", "Alarm: on the floor", "Looked in", "Refused",
                  "paused tonight by the recipient or a relative (own link)"):
        assert words in en.text, words
    today = datetime.now(STOCKHOLM).date()
    empty = await api.nurse.get(f"/api/recipients/{rid}/transparency?from={today - timedelta(days=40)}"
                                f"&to={today - timedelta(days=35)}")
    assert 'id="no-looks"' in empty.text
    backwards = await api.nurse.get(f"/api/recipients/{rid}/transparency?from={today}&to={today - timedelta(days=1)}")
    assert backwards.status_code == 422
    assert (await api.night.get(f"/api/recipients/{rid}/transparency")).status_code == 403
