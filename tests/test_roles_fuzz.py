"""Hypothesis against the OpenAPI schema: random path values, queries and bodies, as every role, never a 5xx.

Bodies are drawn both as arbitrary JSON and as the schema's own fields filled with arbitrary values, so requests get
past the first validation layer too. The app runs with its lifespan (real Redis, SQLite) in a loop of its own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from central.app import create_app
from central.db import open_store
from central.staff.service import upsert_staff
from nattvakt.redis_server import RedisServer, free_port
from nattvakt.settings import CentralSettings, Settings

PASSWORD = "fuzz-test-lösen"
USERS = {"night_staff": "nils", "nurse_admin": "sara", "ops": "olle"}
SKIP = {("GET", "/api/events/stream"), ("POST", "/api/logout")}
"""The endless event stream, and logging out (it would end the session the other calls use)."""

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
path_values = st.one_of(st.integers(-5, 10**12).map(str), st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30))


def _template() -> Settings:
    return Settings(central=CentralSettings(port=free_port()))


SCHEMA = create_app(_template()).openapi()
OPERATIONS = sorted(
    (method.upper(), path) for path, item in SCHEMA["paths"].items() for method in item
    if path.startswith("/api/") and (method.upper(), path) not in SKIP
)


@dataclass
class Running:
    loop: asyncio.AbstractEventLoop
    clients: dict[str, httpx.AsyncClient]

    def call(self, who: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return asyncio.run_coroutine_threadsafe(self.clients[who].request(method, url, **kwargs), self.loop).result(30)


@pytest.fixture(scope="module")
def running(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    config = Settings(redis_url=redis_server.url, database_url=f"sqlite:///{tmp / 'fuzz.db'}", data_dir=tmp,
                      events_stream="fuzz:events", central=CentralSettings(port=free_port()))
    engine, sessions = open_store(config.database_url)
    with sessions() as db:
        for role, user in USERS.items():
            upsert_staff(db, user, PASSWORD, role)  # type: ignore[arg-type]
    engine.dispose()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzz-app", daemon=True)
    thread.start()
    app = create_app(config)
    lifespan = app.router.lifespan_context(app)
    asyncio.run_coroutine_threadsafe(lifespan.__aenter__(), loop).result(30)
    transport = httpx.ASGITransport(app=app)
    clients = {role: httpx.AsyncClient(transport=transport, base_url="http://test") for role in USERS}
    state = Running(loop, clients)
    for role, user in USERS.items():
        assert state.call(role, "POST", "/api/login", json={"username": user, "password": PASSWORD}).status_code == 200
    state.call("nurse_admin", "POST", "/api/recipients", json={"name": "Greta", "room": "B1"})
    yield state
    for client in clients.values():
        asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(10)
    asyncio.run_coroutine_threadsafe(lifespan.__aexit__(None, None, None), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def _resolve(ref: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in ref:
        name = ref["$ref"].rsplit("/", 1)[-1]
        ref = SCHEMA["components"]["schemas"][name]
    return ref


def _body_strategy(operation: dict[str, Any]) -> st.SearchStrategy[Any]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return st.none()
    schema = _resolve(content["schema"])
    fields = list(schema.get("properties", {}))
    shaped = st.fixed_dictionaries({}, optional={f: json_values for f in fields}) if fields else json_values
    return st.one_of(json_values, shaped)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_error(running: Running, method: str, path: str) -> None:
    operation = SCHEMA["paths"][path][method.lower()]
    names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
    queries = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]

    @settings(max_examples=12, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(values=st.fixed_dictionaries({n: path_values for n in names}),
           query=st.fixed_dictionaries({}, optional={q: st.text(max_size=20) for q in queries}),
           body=_body_strategy(operation), who=st.sampled_from(sorted(USERS)))
    def check(values: dict[str, str], query: dict[str, str], body: Any, who: str) -> None:
        url = path
        for name, value in values.items():
            url = url.replace("{" + name + "}", quote(value, safe=""))
        kwargs: dict[str, Any] = {"params": query}
        if body is not None:
            kwargs["json"] = body
        response = running.call(who, method, url, **kwargs)
        assert response.status_code < 500, f"{who} {method} {url} {body!r}: {response.status_code} {response.text}"

    check()
