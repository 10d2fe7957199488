"""FastAPI app factory for the night-patrol console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from central.consent_setup import consent_routers, open_consent_copies
from central.consumer import EventConsumer
from central.event_feed import EventFeed
from central.node_monitor import NodeMonitor
from central.routers import auth, events, ops
from central.store import open_store
from nattvakt.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings) -> FastAPI:
    """Build the app; connections and tasks are opened in the lifespan, not at import."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine, sessionmaker = open_store(settings.database_url)
        redis = aioredis.from_url(
            settings.redis_url_or_default(), decode_responses=True, socket_connect_timeout=3, health_check_interval=10
        )
        feed = EventFeed(settings.central.feed_history)
        consumer = EventConsumer(
            redis, settings.events_stream, settings.central.instance, feed, claim_idle_s=settings.central.claim_idle_s
        )
        node_monitor = NodeMonitor(
            redis, settings.events_stream, settings.central.node_offline_after_s, maxlen=settings.events_retention
        )
        app.state.settings = settings
        app.state.sessionmaker = sessionmaker
        app.state.feed = feed
        app.state.consumer = consumer
        consent_copies = open_consent_copies(settings, sessionmaker)
        app.state.consent_copies = consent_copies
        consent_copies.start()
        app.state.node_monitor = node_monitor
        consumer.start()
        node_monitor.start()
        try:
            yield
        finally:
            await consent_copies.stop()
            await node_monitor.stop()
            await consumer.stop()
            await redis.aclose()
            engine.dispose()

    app = FastAPI(title="Nattvakt console", version="0.1.0", lifespan=lifespan)
    app.include_router(auth.router)
    app.include_router(events.router)
    app.include_router(ops.router)
    for router in consent_routers():
        app.include_router(router)

    @app.exception_handler(StarletteHTTPException)
    async def problem_details(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Errors as RFC 9457 problem details."""
        return JSONResponse(
            {"type": "about:blank", "title": _title(exc.status_code), "status": exc.status_code, "detail": exc.detail},
            status_code=exc.status_code,
            media_type="application/problem+json",
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        """422 as problem details whose detail names the first bad field."""
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"] if part != "body") or "request"
        return JSONResponse(
            {"type": "about:blank", "title": "Unprocessable Content", "status": 422,
             "detail": f"{where}: {first['msg']}",
             "errors": [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]},
            status_code=422,
            media_type="application/problem+json",
        )

    @app.get("/healthz", tags=["ops"])
    async def healthz(request: Request) -> JSONResponse:
        consumer: EventConsumer = request.app.state.consumer
        if not consumer.alive:  # its task died: consoles would silently stop getting events
            return JSONResponse({"status": "failing", "consumer": "dead", "redis": "unknown"}, status_code=503)
        redis_state = "connected" if consumer.connected else "waiting"
        return JSONResponse({"status": "ok", "consumer": "running", "redis": redis_state})

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _title(status_code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"
