"""Shared fixtures: a private real Redis per test session, settings, and a logged-in API client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from central.app import create_app
from central.db import open_store
from central.staff.service import upsert_staff
from nattvakt.redis_server import RedisServer, free_port, start_redis
from nattvakt.settings import CentralSettings, Settings

STAFF_PASSWORD = "natt-test-lösen"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free port, private to this test run."""
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    yield redis_server.url
    redis.Redis.from_url(redis_server.url).flushall()


@pytest.fixture
def settings(tmp_path: Path, redis_url: str) -> Settings:
    return Settings(
        redis_url=redis_url,
        database_url=f"sqlite:///{tmp_path / 'nattvakt.db'}",
        data_dir=tmp_path,
        events_stream="test:events",
        central=CentralSettings(port=free_port()),
    )


@pytest.fixture
def staff_login(settings: Settings) -> dict[str, str]:
    engine, sessionmaker = open_store(settings.database_url)
    with sessionmaker() as db:
        upsert_staff(db, "anna", STAFF_PASSWORD, "night_staff")
    engine.dispose()
    return {"username": "anna", "password": STAFF_PASSWORD}


@pytest.fixture
async def client(settings: Settings, staff_login: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, over ASGI, not yet logged in."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http
