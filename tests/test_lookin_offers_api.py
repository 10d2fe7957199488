"""The API says per event and per check-in whether "Titta in" may be offered now, and if not, why (the code
opening a look-in would be refused with)."""

from __future__ import annotations

from typing import Any

from nattvakt.events import Event, Severity
from tests.bus import wait_until
from tests.conftest import Api
from tests.console_page import publish
from tests.recipients import new_recipient, terms


async def _offers(api: Api, rid: int) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The due check-in's offer, and each event's by id."""
    tonight = (await api.night.get("/api/tonight")).json()
    (mine,) = [r for r in tonight["recipients"] if r["id"] == rid]
    (due,) = [slot for slot in mine["slots"] if slot["state"] == "due"]
    events = {entry["event"]["id"]: entry["lookin"] for entry in (await api.night.get("/api/events")).json()}
    return due["lookin"], events


async def test_offers_follow_consent_now_per_event_and_per_checkin(api: Api) -> None:
    rid = await new_recipient(api)  # watched by node-a
    assert (await api.nurse.post(f"/api/recipients/{rid}/consent", json=terms())).status_code == 201
    fall = Event(node="node-a", room="rum-7", kind="on_floor", severity=Severity.HIGH)
    fault = Event(node="node-a", room="rum-7", kind="camera_fault", severity=Severity.HIGH)
    elsewhere = Event(node="node-x", room="rum-9", kind="on_floor", severity=Severity.HIGH)
    for event in (fall, fault, elsewhere):
        publish(api.settings, event)

    async def all_listed() -> bool:
        return len((await api.night.get("/api/events")).json()) == 3

    await wait_until(all_listed)
    checkin, events = await _offers(api, rid)
    assert checkin == {"allowed": True, "code": "allowed"}
    assert events[fall.id] == {"allowed": True, "code": "allowed"}
    assert events[fault.id] == {"allowed": False, "code": "event_kind_not_consented"}
    assert events[elsewhere.id] == {"allowed": False, "code": "node_unassigned"}

    assert (await api.night.post(f"/api/recipients/{rid}/pause", json={"on_behalf_of": "Greta"})).status_code == 200
    checkin, events = await _offers(api, rid)
    assert checkin == {"allowed": False, "code": "paused"}
    assert events[fall.id] == {"allowed": False, "code": "paused"}

    assert (await api.night.post(f"/api/events/{fall.id}/ack")).status_code == 200
    _checkin, events = await _offers(api, rid)
    assert events[fall.id] == {"allowed": False, "code": "event_acknowledged"}
