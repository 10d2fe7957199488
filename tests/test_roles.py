"""Least privilege: every API route against every role; cross-origin refusal; login lockout with backoff; a password
reset ends old sessions; argon2 checks are rationed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select

from central.app import create_app
from central.audit.models import AuditEntry
from central.csrf import cross_origin_reason
from central.db import open_store
from central.dependencies import RoleCheck, current_staff
from central.events import router as events
from central.staff.lockout import LockoutPolicy, lockout_for
from central.staff.service import ROLES, VERIFY_SLOTS, authenticate, open_session, staff_for_token, upsert_staff
from nattvakt.settings import Settings

PASSWORD = "roll-test-lösen"
USERS = {"night_staff": "nils", "nurse_admin": "sara", "ops": "olle"}
ANY = frozenset(ROLES)
CARE = frozenset({"night_staff", "nurse_admin"})
NURSE = frozenset({"nurse_admin"})
OPS = frozenset({"ops"})
EVENT = "01KNOSUCHEVENT0000000000000"
SLOT = "2026-11-23T22:00:00+00:00"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    allowed: frozenset[str]
    body: dict[str, Any] | None = None
    streams: bool = False
    """An endless response (server-sent events): only its refusals are requested."""


TABLE = [
    Call("GET", "/api/me", ANY),
    Call("GET", "/api/rooms", ANY),
    Call("POST", "/api/rooms", NURSE, {"name": "rum-{role}"}),
    Call("GET", "/api/tonight", CARE),
    Call("POST", "/api/checkins/outcome", CARE, {"recipient_id": 1, "slot_at": SLOT, "outcome": "sleeping"}),
    Call("POST", f"/api/events/{EVENT}/outcome", CARE, {"outcome": "false_alarm"}),
    Call("GET", "/api/reports/night", CARE),
    Call("GET", "/api/events", CARE),
    Call("GET", "/api/events/stream", CARE, streams=True),
    Call("POST", f"/api/events/{EVENT}/ack", CARE),
    Call("GET", "/api/recipients", CARE),
    Call("GET", "/api/recipients/1", CARE),
    Call("GET", "/api/recipients/1/checkins", CARE),
    Call("GET", "/api/recipients/1/consent", CARE),
    Call("POST", "/api/recipients/1/pause", CARE, {"on_behalf_of": "Greta"}),
    Call("GET", "/api/recipients/1/schedule", CARE),
    Call("PUT", "/api/recipients/1/schedule", NURSE, {"times": []}),
    Call("POST", "/api/recipients", NURSE, {"name": "Greta", "room": "B1"}),
    Call("PUT", "/api/nodes/n1", NURSE, {"recipient_id": 1}),
    Call("POST", "/api/recipients/1/access-code", NURSE),
    Call("GET", "/api/recipients/1/consent/history", NURSE),
    Call("POST", "/api/recipients/1/consent", NURSE, {"given_by": []}),
    Call("POST", "/api/recipients/1/consent/withdraw", NURSE, {"withdrawn_by": "Greta"}),
    Call("DELETE", "/api/recipients/1/pause", NURSE),
    Call("GET", "/api/recipients/1/transparency", NURSE),
    Call("GET", "/api/staff", NURSE),
    Call("PUT", "/api/staff", NURSE, {"username": "ny-{role}", "password": "långt-nog-1", "role": "night_staff"}),
    Call("POST", "/api/nodes/n1/token", OPS),
    Call("PUT", "/api/nodes/n1/zones", OPS, {"zones": []}),
    Call("GET", "/api/ops/dead-letters", OPS),
    Call("GET", "/api/ops/nodes", OPS),
    Call("GET", "/api/visits", CARE),
    Call("POST", "/api/visits/7/on_way", CARE, {}),
    Call("POST", "/api/calls/7/outcome", CARE, {"outcome": "no_answer"}),
    Call("GET", "/api/visits/figures", ANY),
    Call("GET", "/api/escalation/units", CARE),
    Call("GET", "/api/escalation/units/Avd", CARE),
    Call("PUT", "/api/escalation/units/Avd", NURSE, {"steps": {}}),
    Call("GET", "/api/recipients/1/contact", CARE),
    Call("PUT", "/api/recipients/1/contact", NURSE, {"phone": "070-1"}),
    Call("GET", "/api/push/key", CARE),
    Call("POST", "/api/push/subscriptions", CARE, {"endpoint": "https://push.example/x", "keys": {}}),
    Call("DELETE", "/api/push/subscriptions", CARE, {"endpoint": "https://push.example/x"}),
]
PUBLIC = {("POST", "/api/login"), ("POST", "/api/logout"), ("GET", "/api/console"),
          ("GET", "/api/console/strings/{lang}")}
"""API routes anyone may call."""
NODE_ONLY = {("GET", "/api/node/self")}
"""Routes for camera nodes with their own token, never for staff sessions."""


def _calls(dependant: Dependant) -> Iterator[object]:
    yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _roles_of(dependant: Dependant) -> tuple[str, ...] | None:
    """The roles a route lets through: its RoleCheck's, every role for a bare login check, None when public."""
    calls = list(_calls(dependant))
    for call in calls:
        if isinstance(call, RoleCheck):
            return call.roles
    if events.stream_login in calls:  # the live stream checks its login itself, without holding a DB session
        return events.STREAM_ROLES
    return tuple(ROLES) if current_staff in calls else None


def _api_routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    for context in iter_route_contexts(app.routes):
        route = context.route
        if isinstance(route, APIRoute) and route.path.startswith("/api/"):
            for method in route.methods or ():
                yield method, route.path, route


def test_every_api_route_is_in_the_table_or_checks_a_role(settings: Settings) -> None:
    """The table must match the code; a route added elsewhere must at least demand a role."""
    table = {(c.method, c.path.replace("/1", "/{recipient_id}").replace("/n1", "/{node_id}")
              .replace(EVENT, "{event_id}")): c for c in TABLE}
    unchecked = []
    for method, path, route in _api_routes(create_app(settings)):
        roles = _roles_of(route.dependant)
        if (method, path) in PUBLIC | NODE_ONLY:
            assert roles is None, f"{method} {path} is public but checks roles {roles}"
        elif (method, path) in table:
            assert roles is not None and frozenset(roles) == table[(method, path)].allowed, (method, path, roles)
        elif roles is None:
            unchecked.append(f"{method} {path}")
    assert unchecked == [], f"API routes without a role check: {unchecked}"


@asynccontextmanager
async def _clients(settings: Settings) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        for role, user in USERS.items():
            upsert_staff(db, user, PASSWORD, role)  # type: ignore[arg-type]
    engine.dispose()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        clients = {name: httpx.AsyncClient(transport=transport, base_url="http://test")
                   for name in (*USERS, "anonymous")}
        for role, user in USERS.items():
            response = await clients[role].post("/api/login", json={"username": user, "password": PASSWORD})
            assert response.status_code == 200, response.text
        await clients["nurse_admin"].post("/api/recipients", json={"name": "Greta", "room": "B1"})
        try:
            yield clients
        finally:
            for client in clients.values():
                await client.aclose()


async def test_each_role_against_each_route(settings: Settings) -> None:
    async with _clients(settings) as clients:
        for call in TABLE:
            for who, client in clients.items():
                allowed = who in call.allowed
                if allowed and call.streams:
                    continue
                body = call.body
                if body is not None:
                    body = {k: v.format(role=who) if isinstance(v, str) else v for k, v in body.items()}
                response = await client.request(call.method, call.path, json=body)
                where = f"{who} {call.method} {call.path}: {response.status_code} {response.text[:200]}"
                if who == "anonymous":
                    assert response.status_code == 401, where
                elif allowed:
                    assert response.status_code not in (401, 403), where
                    assert response.status_code < 500, where
                else:
                    assert response.status_code == 403, where
                    assert response.headers["content-type"] == "application/problem+json", where
                    assert who in response.json()["detail"], where


async def test_a_node_token_opens_only_the_node_route(settings: Settings) -> None:
    async with _clients(settings) as clients:
        issued = await clients["ops"].post("/api/nodes/n1/token")
        token = issued.json()["token"]
        zones = {"zones": [{"name": "bed", "polygon": [[0.1, 0.5], [0.6, 0.5], [0.6, 0.9]]}]}
        assert (await clients["ops"].put("/api/nodes/n1/zones", json=zones)).status_code == 204
        node = httpx.AsyncClient(transport=clients["ops"]._transport, base_url="http://test")
        me = await node.get("/api/node/self", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["zones"][0]["name"] == "bed"
        assert (await node.get("/api/node/self", headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert (await clients["ops"].get("/api/node/self")).status_code == 401, "a staff session is not a node"
        assert (await node.get("/api/events", headers={"Authorization": f"Bearer {token}"})).status_code == 401
        again = await clients["ops"].post("/api/nodes/n1/token")
        assert (await node.get("/api/node/self", headers={"Authorization": f"Bearer {token}"})).status_code == 401
        fresh = {"Authorization": f"Bearer {again.json()['token']}"}
        assert (await node.get("/api/node/self", headers=fresh)).status_code == 200
        await node.aclose()


@pytest.mark.parametrize(("method", "headers", "refused"), [
    ("POST", {}, False),  # no browser markers: a script or a node, holding no victim's cookie
    ("POST", {"sec-fetch-site": "same-origin", "origin": "http://test"}, False),
    ("POST", {"sec-fetch-site": "cross-site", "origin": "https://evil.example"}, True),
    ("POST", {"sec-fetch-site": "same-site"}, True),
    ("POST", {"origin": "https://evil.example"}, True),
    ("POST", {"origin": "null"}, True),
    ("POST", {"origin": "http://test"}, False),
    ("POST", {"origin": "https://console.example"}, False),  # configured as allowed
    ("DELETE", {"origin": "http://test:8000"}, True),
    ("GET", {"sec-fetch-site": "cross-site"}, False),
])
def test_cross_origin_rule(method: str, headers: dict[str, str], refused: bool) -> None:
    reason = cross_origin_reason(method, "test", headers, ["https://console.example"])
    assert (reason is not None) == refused, reason


async def test_cross_site_post_is_refused_before_it_acts(settings: Settings) -> None:
    async with _clients(settings) as clients:
        nurse = clients["nurse_admin"]
        forged = await nurse.post("/api/recipients", json={"name": "Forged", "room": "X"},
                                  headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
        assert forged.status_code == 403 and forged.headers["content-type"] == "application/problem+json"
        assert "cross-origin" in forged.json()["detail"]
        names = [r["name"] for r in (await nurse.get("/api/recipients")).json()]
        assert "Forged" not in names
        same = await nurse.post("/api/recipients", json={"name": "Real", "room": "Y"},
                                headers={"Origin": "http://test", "Sec-Fetch-Site": "same-origin"})
        assert same.status_code == 201


def test_lockout_doubles_up_to_the_cap() -> None:
    policy = LockoutPolicy(after=3, base=timedelta(seconds=30), cap=timedelta(minutes=15))
    assert [lockout_for(n, policy).total_seconds() for n in range(1, 10)] == [
        0, 0, 30, 60, 120, 240, 480, 900, 900]
    assert lockout_for(10_000, policy) == policy.cap


async def test_login_lockout_with_backoff(settings: Settings) -> None:
    central = settings.central.model_copy(update={"login_lockout_after": 3, "login_lockout_base_s": 1.0})
    settings = settings.model_copy(update={"central": central})
    async with _clients(settings) as clients:
        anon = clients["anonymous"]
        for user in ("nils", "nobody"):  # an unknown name is locked the same way: the lockout reveals nothing
            for n in range(3):
                wrong = await anon.post("/api/login", json={"username": user, "password": "fel-fel-fel"})
                assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong username or password"
                # the failure that starts the lockout says how long it lasts; the ones before it do not
                assert ("retry-after" in wrong.headers) == (n == 2), wrong.headers
            locked = await anon.post("/api/login", json={"username": user, "password": PASSWORD})
            assert locked.status_code == 429, "not even the right password gets in while locked"
            assert 1 <= int(locked.headers["retry-after"]) <= 2
            assert "try again" in locked.json()["detail"]
        assert (await anon.post("/api/login", json={"username": "sara", "password": PASSWORD})).status_code == 200
        await asyncio.sleep(1.1)
        assert (await anon.post("/api/login", json={"username": "nils", "password": PASSWORD})).status_code == 200
        again = await anon.post("/api/login", json={"username": "nils", "password": "fel-fel-fel"})
        assert again.status_code == 401, "a good login clears the count"
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        kinds = list(db.scalars(select(AuditEntry.kind).where(AuditEntry.actor == "nils")))
    engine.dispose()
    assert kinds.count("login_failed") == 4 and kinds.count("login_locked") == 1


OLD_PASSWORD = "gammalt-lösen-1"


def test_password_reset_ends_every_open_session(tmp_path: Path) -> None:
    engine, sessionmaker = open_store(f"sqlite:///{tmp_path / 'staff.db'}")
    with sessionmaker() as db:
        staff = upsert_staff(db, "anna", OLD_PASSWORD, "night_staff")
        tablet, phone = open_session(db, staff, 8), open_session(db, staff, 8)
        other = open_session(db, upsert_staff(db, "bo", OLD_PASSWORD, "night_staff"), 8)
        assert staff_for_token(db, tablet) is not None
        upsert_staff(db, "anna", "nytt-lösen-2", "night_staff")
        assert staff_for_token(db, tablet) is None and staff_for_token(db, phone) is None
        bo = staff_for_token(db, other)
        assert bo is not None and bo.username == "bo", "someone else's reset leaves bo logged in"
        assert authenticate(db, "anna", "nytt-lösen-2") is not None
        assert authenticate(db, "anna", OLD_PASSWORD) is None
    engine.dispose()


def test_password_checks_wait_for_a_free_slot(tmp_path: Path) -> None:
    engine, sessionmaker = open_store(f"sqlite:///{tmp_path / 'staff.db'}")
    with sessionmaker() as db:
        upsert_staff(db, "anna", OLD_PASSWORD, "night_staff")
    results: list[bool] = []

    def log_in() -> None:
        with sessionmaker() as db:
            results.append(authenticate(db, "anna", OLD_PASSWORD) is not None)

    held = 0
    while VERIFY_SLOTS.acquire(blocking=False):  # a burst of logins holds every slot
        held += 1
    try:
        assert held >= 1
        waiting = threading.Thread(target=log_in)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive() and results == [], "no argon2 check runs while every slot is taken"
    finally:
        for _ in range(held):
            VERIFY_SLOTS.release()
    waiting.join(10)
    assert results == [True]
    engine.dispose()
