"""Tonight's API end to end (SQLite and PostgreSQL): check-ins from consent, states, outcomes, re-look, report."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from central.db import open_store
from central.followup.store import load_checkins
from nattvakt.events import Event, Severity
from nattvakt.night import night_of
from nattvakt.settings import Settings
from tests.conftest import Api, serve
from tests.recipients import new_recipient, terms
from tests.signed import node_fields

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture
def api(api_on_both: Api) -> Api:
    """Every test here runs on SQLite and on PostgreSQL."""
    return api_on_both


async def _tonight(client: httpx.AsyncClient, rid: int) -> list[dict[str, Any]]:
    response = await client.get("/api/tonight")
    assert response.status_code == 200, response.text
    (mine,) = [r for r in response.json()["recipients"] if r["id"] == rid]
    slots: list[dict[str, Any]] = mine["slots"]
    return slots


async def test_a_night_of_checkins(api: Api) -> None:
    rid = await new_recipient(api)
    assert (await api.nurse.post(f"/api/recipients/{rid}/consent", json=terms())).status_code == 201
    (slot,) = await _tonight(api.night, rid)  # the consented window is the check-in
    assert slot["state"] == "due" and slot["camera_allowed"] and slot["outcome"] is None

    bad = [
        ({"recipient_id": rid, "slot_at": slot["slot_at"], "outcome": "asleep"}, 422),
        ({"recipient_id": rid, "slot_at": slot["slot_at"], "outcome": "sleeping", "note": "x" * 501}, 422),
        ({"recipient_id": rid, "slot_at": "2026-01-01T00:00:00+00:00", "outcome": "sleeping"}, 404),
        ({"recipient_id": rid, "slot_at": "2026-01-01T00:00:00", "outcome": "sleeping"}, 422),
        ({"recipient_id": 999, "slot_at": slot["slot_at"], "outcome": "sleeping"}, 404),
    ]
    for body, status in bad:
        response = await api.night.post("/api/checkins/outcome", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"

    documented = await api.night.post("/api/checkins/outcome", json={
        "recipient_id": rid, "slot_at": slot["slot_at"], "outcome": "not_visible", "note": "Täcket över huvudet"})
    assert documented.status_code == 201, documented.text
    first, relook = await _tonight(api.night, rid)
    assert first["state"] == "done" and first["outcome"]["outcome"] == "not_visible"
    assert first["outcome"]["staff"] == "nils" and first["outcome"]["note"] == "Täcket över huvudet"
    assert relook["relook_of"] == first["slot_at"] and relook["state"] == "upcoming"
    due_in = datetime.fromisoformat(relook["slot_at"]) - datetime.fromisoformat(first["outcome"]["recorded_at"])
    assert timedelta(minutes=14, seconds=59) <= due_in <= timedelta(minutes=15), "configurable, 15 min by default"

    # the recipient pauses for tonight: the re-look is skipped, what was done stays done
    assert (await api.night.post(f"/api/recipients/{rid}/pause", json={"on_behalf_of": "Greta"})).status_code == 200
    first, relook = await _tonight(api.night, rid)
    assert first["state"] == "done" and (relook["state"], relook["skip_reason"]) == ("skipped", "paused")
    skipped = await api.night.post("/api/checkins/outcome", json={
        "recipient_id": rid, "slot_at": relook["slot_at"], "outcome": "sleeping"})
    assert skipped.status_code == 409

    event = Event(node="node-a", room="rum-7", recipient="Greta Andersson", kind="on_floor", severity=Severity.HIGH)
    redis = aioredis.from_url(api.settings.redis_url_or_default(), decode_responses=True)
    fields = node_fields(api.settings, event)
    await redis.xadd(api.settings.events_stream, fields)
    await redis.aclose()
    async with asyncio.timeout(5):
        while True:
            if (await api.night.get("/api/events")).json():
                break
            await asyncio.sleep(0.05)
    noted = await api.night.post(f"/api/events/{event.id}/outcome", json={"outcome": "visited", "note": "=1+1"})
    assert noted.status_code == 201, noted.text
    assert (await api.night.post("/api/events/01NOSUCH/outcome", json={"outcome": "visited"})).status_code == 404

    report = await api.night.get("/api/reports/night", params={"format": "csv"})
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    assert "attachment" in report.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert [(r["kind"], r["state"], r["outcome"]) for r in rows] == [
        ("checkin", "done", "not_visible"), ("relook", "skipped_paused", ""), ("on_floor", "done", "visited")]
    assert rows[0]["note"] == "Täcket över huvudet" and rows[0]["recipient"] == "Greta Andersson"
    assert rows[2]["note"] == "'=1+1", "a note is never run as a spreadsheet formula"
    html = await api.night.get("/api/reports/night", params={"format": "html", "lang": "en"})
    assert html.status_code == 200 and "Night report" in html.text and "not visible" in html.text
    assert "paused by the recipient" in html.text and "Täcket över huvudet" in html.text
    sv = await api.night.get("/api/reports/night")
    assert "Nattrapport" in sv.text and "syns inte" in sv.text
    assert (await api.night.get("/api/reports/night", params={"format": "pdf"})).status_code == 422


async def test_a_consent_change_keeps_what_was_documented_and_leaves_no_empty_windows(api: Api) -> None:
    """The two reported bugs, end to end: after a change of windows the documented check-in is still on tonight's
    list (and in the follow-up's records) in its own window, and no check-in is left without a consented window."""
    rid = await new_recipient(api)
    assert (await api.nurse.post(f"/api/recipients/{rid}/consent", json=terms())).status_code == 201
    (slot,) = await _tonight(api.night, rid)
    documented = await api.night.post("/api/checkins/outcome", json={
        "recipient_id": rid, "slot_at": slot["slot_at"], "outcome": "sleeping"})
    assert documented.status_code == 201, documented.text

    later = datetime.now(STOCKHOLM) + timedelta(hours=3)
    changed = terms(scheduled=[{"at": f"{later:%H:%M}", "window_min": 15}])
    assert (await api.nurse.post(f"/api/recipients/{rid}/consent", json=changed)).status_code == 201
    slots = await _tonight(api.night, rid)
    kept = [s for s in slots if s["slot_at"] == slot["slot_at"]]
    assert kept and kept[0]["state"] == "done" and (kept[0]["start"], kept[0]["end"]) == (slot["start"], slot["end"])
    assert all(s["state"] != "skipped" and s["start"] < s["end"] for s in slots), slots
    listed = (await api.night.get(f"/api/recipients/{rid}/checkins")).json()
    assert [c["at"] for c in listed] == [s["slot_at"] for s in slots]

    engine, sessions = open_store(api.settings.database_url)
    try:
        with sessions() as db:
            night = night_of(datetime.now(UTC), api.settings.central.home_zone)
            records = load_checkins(db, [night], datetime.now(UTC), timedelta(minutes=15),
                                    api.settings.central.home_zone)
    finally:
        engine.dispose()
    assert [(r.slot_at.isoformat(), r.state) for r in records if r.outcome] == [
        (datetime.fromisoformat(slot["slot_at"]).isoformat(), "done")], "the follow-up counts it too"

    withdrawn = await api.nurse.post(f"/api/recipients/{rid}/consent/withdraw", json={"withdrawn_by": "Greta"})
    assert withdrawn.status_code == 200
    after = await _tonight(api.night, rid)
    assert [(s["slot_at"], s["state"]) for s in after if s["state"] == "done"] == [(slot["slot_at"], "done")]


async def test_database_unreachable_is_503_problem_then_recovers(settings: Settings) -> None:
    """A store that cannot be reached gives a plain 503 (the console then keeps what was typed), never a 500."""
    async with serve(settings) as api:
        app = api.night._transport.app  # type: ignore[attr-defined]
        working = app.state.sessionmaker
        broken = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
        app.state.sessionmaker = sessionmaker(broken)
        try:
            down = await api.night.post("/api/checkins/outcome", json={
                "recipient_id": 1, "slot_at": "2026-11-23T22:00:00+00:00", "outcome": "sleeping"})
            assert down.status_code == 503, down.text
            assert down.headers["content-type"] == "application/problem+json"
            assert "documenting is temporarily unavailable" in down.json()["detail"]
        finally:
            app.state.sessionmaker = working
            broken.dispose()
        assert (await api.night.get("/api/tonight")).status_code == 200
