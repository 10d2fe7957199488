"""Shared fixtures: a private real Redis per test session, settings, the app with logged-in staff clients (on SQLite
and PostgreSQL), a headless browser, and real RTSP cameras on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from playwright.sync_api import BrowserContext

from benchmarks.rtsp_camera import RtspCamera
from central.app import create_app
from central.db import open_store
from central.staff.service import upsert_staff
from nattvakt.redis_server import RedisServer, free_port, start_redis
from nattvakt.settings import CentralSettings, Settings
from tests.browser import chromium
from tests.postgres_db import throwaway_database

STAFF_PASSWORD = "natt-test-lösen"
CAMERA_USER = "kamera-admin"
CAMERA_PASSWORD = "Hemlig-Kamera-7731"
"""Distinctive, so a test can grep for it in every output the node makes."""


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free port, private to this test run."""
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


class RestartableRedis:
    """A private Redis a test may stop and start again (same port, same data dir, so the same URL)."""

    def __init__(self, folder: Path) -> None:
        self.server = start_redis(folder)
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()

    def restart(self) -> None:
        self.server = start_redis(self.server.data_dir, self.server.port)


@pytest.fixture
def restartable_redis(tmp_path: Path) -> Iterator[RestartableRedis]:
    bus = RestartableRedis(tmp_path / "redis")
    yield bus
    bus.stop()


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


@dataclass
class Api:
    nurse: httpx.AsyncClient
    night: httpx.AsyncClient
    anon: httpx.AsyncClient
    settings: Settings


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    async with serve(settings) as running:
        yield running


@pytest.fixture
async def api_on_postgresql(settings: Settings) -> AsyncIterator[Api]:
    with throwaway_database() as url:
        async with serve(settings.model_copy(update={"database_url": url})) as running:
            yield running


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[Api]:
    """The app with its lifespan, a nurse_admin and a night_staff logged in, and an anonymous client."""
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        upsert_staff(db, "sara", STAFF_PASSWORD, "nurse_admin", "Sara Sjuksköterska")
        upsert_staff(db, "nils", STAFF_PASSWORD, "night_staff", "Nils Natt")
    engine.dispose()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        clients = [httpx.AsyncClient(transport=transport, base_url="http://test") for _ in range(3)]
        for client, user in zip(clients, ("sara", "nils"), strict=False):
            response = await client.post("/api/login", json={"username": user, "password": STAFF_PASSWORD})
            assert response.status_code == 200, response.text
        yield Api(clients[0], clients[1], clients[2], settings)
        for client in clients:
            await client.aclose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def api_on_both(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Api]:
    """`api` on SQLite, then on a throw-away PostgreSQL database."""
    async with serve_on(request.param, settings) as running:
        yield running


@asynccontextmanager
async def serve_on(store: str, settings: Settings) -> AsyncIterator[Api]:
    """`serve` on SQLite (`settings.database_url`) or on a throw-away PostgreSQL database (`store="postgresql"`)."""
    if store == "sqlite":
        async with serve(settings) as running:
            yield running
    else:
        with throwaway_database() as url:
            async with serve(settings.model_copy(update={"database_url": url})) as running:
                yield running


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    """Headless Chromium (Debian's) at a tablet's size, for the console's browser tests."""
    with chromium(tmp_path / "profile", 1024, 768) as context:
        yield context


@pytest.fixture
def rtsp_cameras(tmp_path: Path) -> Iterator[Callable[..., RtspCamera]]:
    """Start real RTSP cameras (GStreamer's RTSP server, user and password checked); all are stopped afterwards."""
    started: list[RtspCamera] = []

    def start(**options: object) -> RtspCamera:
        options.setdefault("user", CAMERA_USER)
        options.setdefault("password", CAMERA_PASSWORD)
        camera = RtspCamera(log=tmp_path / f"rtsp-{len(started)}.log", **options)  # type: ignore[arg-type]
        started.append(camera)
        camera.start()
        return camera

    yield start
    for camera in started:
        camera.stop()


@pytest.fixture
def rtsp_camera(rtsp_cameras: Callable[..., RtspCamera]) -> RtspCamera:
    """One real RTSP camera: 320x240 H.264 at 15 fps, user `CAMERA_USER`, password `CAMERA_PASSWORD`."""
    return rtsp_cameras()
