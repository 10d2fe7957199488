"""The municipal chain through the API (SQLite and PostgreSQL): not visible → re-look → call → visit, events that
send the patrol at once, the promise and its alarm, each figure from records made through the API, and role checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis

from nattvakt.events import Event, Severity
from nattvakt.settings import CentralSettings, Settings
from tests.conftest import Api, serve_on
from tests.recipients import STOCKHOLM
from tests.visits_parts import at, document, due_recipient, publish, slots, tasks, until

TWO_CALLS: dict[str, Any] = {"promise_min": 30, "first": "look", "steps": {
    "look": {"action": "relook", "on": {"not_visible": "ring"}},
    "ring": {"action": "call", "within_min": 2,
             "on": {"answered_ok": "close", "answered_needs_help": "go", "no_answer": "ring_again"}},
    "ring_again": {"action": "call", "within_min": 10,
                   "on": {"answered_ok": "close", "answered_needs_help": "go", "no_answer": "go"}},
    "go": {"action": "visit"}}}


@pytest.fixture(params=["sqlite", "postgresql"])
async def api(request: pytest.FixtureRequest, settings: Settings) -> Any:
    fast = settings.model_copy(update={"central": CentralSettings(
        port=settings.central.port, visit_check_every_s=0.1, followup_min_count=1)})
    async with serve_on(request.param, fast) as running:
        yield running


async def test_not_visible_twice_calls_then_no_answer_sends_the_patrol(api: Api) -> None:
    rid = await due_recipient(api)
    (slot,) = await slots(api.night, rid)
    await document(api.night, rid, slot["slot_at"], "not_visible")
    assert (await tasks(api.night))["calls"] == [], "the first 'inte synlig' is the re-look's, no call yet"
    first, relook = await slots(api.night, rid)
    await document(api.night, rid, relook["slot_at"], "not_visible")
    (call,) = (await tasks(api.night))["calls"]
    assert (call["recipient_id"], call["name"], call["phone"]) == (rid, "Greta Andersson", "+46 70 123 45 67")
    assert call["chain_at"] == first["slot_at"] and call["outcome"] is None
    assert timedelta(minutes=4) < at(call["due_at"]) - datetime.now(UTC) <= timedelta(minutes=5), "within 5 min"

    # a third "not visible" (the next re-look) does not call twice
    third = (await slots(api.night, rid))[-1]
    await document(api.night, rid, third["slot_at"], "not_visible")
    assert [c["id"] for c in (await tasks(api.night))["calls"]] == [call["id"]]

    assert (await api.night.post(f"/api/calls/{call['id']}/outcome", json={"outcome": "maybe"})).status_code == 422
    done = await api.night.post(f"/api/calls/{call['id']}/outcome", json={"outcome": "no_answer"})
    assert done.status_code == 200, done.text
    visit = done.json()["visit"]
    assert (visit["cause"], visit["state"], visit["promise_min"], visit["late"]) == ("no_answer", "open", 45, False)
    assert at(visit["promise_at"]) - at(visit["cause_at"]) == timedelta(minutes=45)
    again = await api.night.post(f"/api/calls/{call['id']}/outcome", json={"outcome": "answered_ok"})
    assert again.status_code == 409 and "already documented" in again.json()["detail"]
    assert (await api.night.post("/api/calls/9999/outcome", json={"outcome": "no_answer"})).status_code == 404

    vid = visit["id"]
    assert (await api.night.post(f"/api/visits/{vid}/done", json={"outcome": "all_well"})).status_code == 409
    assert (await api.night.post(f"/api/visits/{vid}/on_way", json={})).json()["state"] == "on_way"
    assert (await api.night.post(f"/api/visits/{vid}/on_way", json={})).status_code == 409
    assert (await api.night.post(f"/api/visits/{vid}/arrived", json={})).json()["state"] == "arrived"
    assert (await api.night.post(f"/api/visits/{vid}/done", json={})).status_code == 409, "klar needs an outcome"
    assert (await api.night.post(f"/api/visits/{vid}/later", json={})).status_code == 422
    closed = await api.night.post(f"/api/visits/{vid}/done", json={"outcome": "helped", "note": "Låg i badrummet"})
    assert closed.status_code == 200 and closed.json()["state"] == "done" and closed.json()["outcome"] == "helped"

    figures = (await api.night.get("/api/visits/figures")).json()
    assert figures["visits_by_cause"] == {"no_answer": 1} and figures["visits"] == 1
    assert (figures["calls_made"], figures["calls_answered"], figures["visits_late"]) == (1, 0, 0)
    assert figures["arrival_n"] == 1 and 0 <= figures["arrival_median_s"] == figures["arrival_p90_s"] < 60

    report = await api.night.get("/api/reports/night", params={"lang": "en"})
    assert report.status_code == 200 and "Visits and calls" in report.text
    for words in ("did not answer the phone", "helped", "no answer", "+46 70 123 45 67", "Visits past their promise"):
        assert words in report.text, words
    month = (await api.nurse.get("/api/followup")).json()["visits"]
    assert month["total"]["visits_by_cause"] == {"no_answer": 1} and month["total"]["calls_made"] == 1
    (tonight,) = [n for n in month["nights"] if n["visits"]]
    assert tonight["calls_answered"] == 0 and tonight["visits_late"] == 0
    printed = await api.nurse.get("/api/followup/report", params={"lang": "en"})
    assert printed.status_code == 200 and "did not answer the phone" in printed.text


async def test_a_unit_chain_with_two_calls_and_answers(api: Api) -> None:
    rid = await due_recipient(api)
    assert (await api.nurse.put("/api/escalation/units/Avd 2", json=TWO_CALLS)).status_code == 200
    assert (await api.nurse.put(f"/api/recipients/{rid}/contact",
                                json={"phone": "031-123 45", "unit": "Avd 2"})).status_code == 200
    (slot,) = await slots(api.night, rid)
    await document(api.night, rid, slot["slot_at"], "not_visible")
    await document(api.night, rid, (await slots(api.night, rid))[1]["slot_at"], "not_visible")
    (call,) = (await tasks(api.night))["calls"]
    assert call["phone"] == "031-123 45"
    led = (await api.night.post(f"/api/calls/{call['id']}/outcome", json={"outcome": "no_answer"})).json()
    assert led["visit"] is None and led["next_call"] is not None, "this unit calls twice"
    helped = (await api.night.post(f"/api/calls/{led['next_call']['id']}/outcome",
                                   json={"outcome": "answered_needs_help"})).json()
    assert helped["visit"]["cause"] == "needs_help" and helped["visit"]["promise_min"] == 30

    # a chain answered ok closes without a visit; "behöver besök" documented sends the patrol at once
    other = await due_recipient(api, node="node-b")
    (slot,) = await slots(api.night, other)
    await document(api.night, other, slot["slot_at"], "not_visible")
    await document(api.night, other, (await slots(api.night, other))[1]["slot_at"], "not_visible")
    (call,) = [c for c in (await tasks(api.night))["calls"] if c["recipient_id"] == other]
    ok = (await api.night.post(f"/api/calls/{call['id']}/outcome", json={"outcome": "answered_ok"})).json()
    assert ok["visit"] is None and ok["next_call"] is None
    await document(api.night, other, (await slots(api.night, other))[-1]["slot_at"], "needs_visit")
    causes = sorted(v["cause"] for v in (await tasks(api.night))["visits"])
    assert causes == ["needs_help", "needs_visit"]
    figures = (await api.night.get("/api/visits/figures")).json()
    assert (figures["calls_made"], figures["calls_answered"]) == (3, 2)
    assert figures["visits_by_cause"] == {"needs_help": 1, "needs_visit": 1}


async def test_a_chain_that_loops_is_refused(api: Api) -> None:
    """Every rule of a chain is `tests/test_visits_policy.py`'s; here, that the API says which one was broken."""
    body = {**TWO_CALLS, "steps": {**TWO_CALLS["steps"], "look": {"action": "relook", "on": {"not_visible": "look"}}}}
    refused = await api.nurse.put("/api/escalation/units/Avd 3", json=body)
    assert refused.status_code == 422 and "loops (look -> look)" in refused.json()["detail"], refused.text
    assert (await api.nurse.get("/api/escalation/units/Avd 3")).status_code == 404


async def test_promise_bounds_roles_and_contact(api: Api) -> None:
    for promise in (0, 4, 181):
        body = {**TWO_CALLS, "promise_min": promise}
        assert (await api.nurse.put("/api/escalation/units/Avd 4", json=body)).status_code == 422
    assert (await api.night.put("/api/escalation/units/Avd 4", json=TWO_CALLS)).status_code == 403
    assert (await api.anon.get("/api/visits")).status_code == 401
    assert (await api.anon.post("/api/calls/1/outcome", json={"outcome": "no_answer"})).status_code == 401
    rid = await due_recipient(api)
    assert (await api.night.put(f"/api/recipients/{rid}/contact", json={"phone": "1"})).status_code == 403
    bad = await api.nurse.put(f"/api/recipients/{rid}/contact", json={"phone": "ring me"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("phone")
    unknown = await api.nurse.put(f"/api/recipients/{rid}/contact", json={"phone": "1", "unit": "Avd 9"})
    assert unknown.status_code == 422 and "Avd 9" in unknown.json()["detail"]
    assert (await api.nurse.put("/api/recipients/999/contact", json={"phone": "1"})).status_code == 404
    contact = (await api.night.get(f"/api/recipients/{rid}/contact")).json()
    assert contact == {"recipient_id": rid, "phone": "+46 70 123 45 67", "unit": None}
    assert (await api.nurse.put("/api/escalation/units/Avd 4", json=TWO_CALLS)).status_code == 200
    units = (await api.night.get("/api/escalation/units")).json()
    assert [u["name"] for u in units] == ["Avd 4"] and units[0]["policy"]["promise_min"] == 30


async def test_a_fall_or_a_camera_out_sends_the_patrol_and_a_late_visit_raises_an_alarm(api: Api) -> None:
    rid = await due_recipient(api)
    now = datetime.now(UTC)
    fall = Event(node="node-a", room="rum-7", recipient="Greta Andersson", kind="on_floor",
                 severity=Severity.HIGH, started_at=now - timedelta(minutes=50))
    await publish(api.settings, fall)

    async def visits() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = (await tasks(api.night))["visits"]
        return found or None

    (visit,) = await until(visits)
    assert (visit["cause"], visit["recipient_id"], visit["room"], visit["late"]) == ("on_floor", rid, "rum-7", True)
    assert at(visit["cause_at"]) == fall.started_at

    async def alarm() -> dict[str, Any] | None:
        feed = (await api.night.get("/api/events")).json()
        return next((e["event"] for e in feed if e["event"]["kind"] == "visit_overdue"), None)

    raised = await until(alarm)
    assert (raised["severity"], raised["room"], raised["recipient"]) == (4, "rum-7", ""), "no name in the alarm"
    assert raised["details"]["visit_id"] == visit["id"]
    assert (await api.night.post(f"/api/visits/{visit['id']}/arrived", json={})).status_code == 200

    async def ended() -> dict[str, Any] | None:
        found = await alarm()
        return found if found and found["state"] == "ended" else None

    assert (await until(ended))["id"] == raised["id"], "the patrol's arrival ends the alarm"

    # a camera out while a check-in by camera was due: a visit; out of every window: none
    fault = Event(node="node-a", room="rum-7", kind="camera_fault", severity=Severity.HIGH)
    await publish(api.settings, fault)
    await until(lambda: _cause(api, "camera_fault"))
    far = (datetime.now(STOCKHOLM) + timedelta(hours=6)).strftime("%H:%M")
    await due_recipient(api, node="node-b", scheduled=[{"at": far, "window_min": 20}])
    await publish(api.settings, Event(node="node-b", room="rum-8", kind="node_offline", severity=Severity.HIGH))
    # the watch takes events in order: once this fall's visit is there, the outage before it was weighed
    await publish(api.settings, Event(node="node-b", room="rum-8", kind="on_floor", severity=Severity.HIGH))
    await until(lambda: _cause_in(api, "on_floor", "rum-8"))
    assert [v["cause"] for v in (await tasks(api.night))["visits"]].count("node_offline") == 0

    figures = (await api.night.get("/api/visits/figures")).json()
    assert figures["visits_by_cause"] == {"camera_fault": 1, "on_floor": 2}
    assert figures["visits_late"] == 1, "the fall reached 50 minutes after it happened"
    assert figures["arrival_n"] == 1 and 50 * 60 <= figures["arrival_median_s"] < 52 * 60

    # the stream is the transport: trimmed to nothing, the visits are still in the follow-up
    redis = aioredis.from_url(api.settings.redis_url_or_default())
    await redis.xtrim(api.settings.events_stream, maxlen=0)
    await redis.aclose()
    month = (await api.nurse.get("/api/followup")).json()["visits"]["total"]
    assert month["visits_by_cause"] == {"camera_fault": 1, "on_floor": 2} and month["visits_late"] == 1


async def _cause(api: Api, cause: str) -> dict[str, Any] | None:
    return next((v for v in (await tasks(api.night))["visits"] if v["cause"] == cause), None)


async def _cause_in(api: Api, cause: str, room: str) -> dict[str, Any] | None:
    return next((v for v in (await tasks(api.night))["visits"] if v["cause"] == cause and v["room"] == room), None)


async def test_a_digital_checkin_that_found_all_well_is_a_visit_avoided(api: Api) -> None:
    rid = await due_recipient(api)
    before = (await api.night.get("/api/visits/figures")).json()
    assert (before["visits"], before["visits_avoided"], before["arrival_median_s"]) == (0, 0, None)
    (slot,) = await slots(api.night, rid)
    await document(api.night, rid, slot["slot_at"], "sleeping")
    after = (await api.night.get("/api/visits/figures")).json()
    assert (after["visits"], after["visits_avoided"], after["calls_made"]) == (0, 1, 0)
    assert (await api.night.get("/api/visits/figures", params={"night": "2020-01-01"})).json()["visits_avoided"] == 0
    assert (await api.night.get("/api/visits/figures", params={"night": "jul"})).status_code == 422
