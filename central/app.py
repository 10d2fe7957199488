"""FastAPI app factory for the night-patrol console."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from central import console_router
from central.audit import router as transparency
from central.consent import personal_router, recipients_router
from central.consent import router as consent
from central.consent.copies import open_consent_copies
from central.consent.live import ConsentNews
from central.csrf import CrossOriginGuard
from central.db import open_store
from central.events import ops_router
from central.events import router as events
from central.events.bus_state import BUS_DOWN_DETAIL
from central.events.consumer import EventConsumer
from central.events.feed import EventFeed
from central.followup import router as followup
from central.forwarding import router as push
from central.forwarding.channels import open_forwarder
from central.lookins import router as lookins
from central.lookins.hub import open_lookin_hub
from central.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from central.metrics import AuditCounter, CentralCollector, central_registry
from central.metrics import render as render_metrics
from central.night import report_router, schedule_router
from central.night import router as tonight
from central.nodes import control_router
from central.nodes import router as nodes
from central.nodes.monitor import NodeMonitor
from central.record.writer import RecordWriter
from central.staff import admin_router
from central.staff import router as auth
from central.visits import router as visits
from central.visits.watch import VisitWatch
from nattvakt.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger(__name__)
ROUTERS = (tonight, schedule_router, report_router, nodes, admin_router, followup, auth, events, ops_router,
           recipients_router, consent, personal_router, lookins, transparency, control_router, console_router, visits,
           push)
"""Every feature's router, in the order their routes are matched."""


def create_app(settings: Settings) -> FastAPI:
    """Build the app; connections and tasks are opened in the lifespan, not at import."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine, sessionmaker = open_store(settings.database_url)
        redis = aioredis.from_url(
            settings.redis_url_or_default(), decode_responses=True, socket_connect_timeout=3, health_check_interval=10
        )
        feed = EventFeed(settings.central.feed_history)
        # Every listener to the feed starts before the consumer, so none misses the first events it reads.
        record = RecordWriter(sessionmaker, feed)
        record.start()
        visit_watch = VisitWatch(sessionmaker, feed, redis, settings.events_stream, settings.events_retention,
                                 settings.central.visit_check_every_s)
        visit_watch.start()
        forwarder, http = open_forwarder(settings, sessionmaker, feed, redis)
        app.state.push_public_key = forwarder.push_public_key
        forwarder.start()
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
        consent_news = ConsentNews(redis)
        app.state.consent_news = consent_news
        consent_news.start()
        app.state.node_monitor = node_monitor
        consumer.start()
        node_monitor.start()
        lookin_hub = open_lookin_hub(settings, sessionmaker, feed, redis)
        app.state.lookin_hub = lookin_hub
        lookin_hub.start()
        app.state.redis = redis
        app.state.metrics = central_registry(
            CentralCollector(consumer, feed, node_monitor, AuditCounter(sessionmaker), lambda: len(lookin_hub.lookins))
        )
        try:
            yield
        finally:
            await forwarder.stop()
            await http.aclose()
            await visit_watch.stop()
            await lookin_hub.stop()
            await consent_copies.stop()
            await consent_news.stop()
            await node_monitor.stop()
            await consumer.stop()
            await record.stop()
            await redis.aclose()
            engine.dispose()

    app = FastAPI(title="Nattvakt console", version="0.1.0", lifespan=lifespan)
    app.add_middleware(CrossOriginGuard, allowed_origins=settings.central.allowed_origins)
    for feature in ROUTERS:
        app.include_router(feature.router)

    @app.exception_handler(StarletteHTTPException)
    async def problem_details(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Errors as RFC 9457 problem details."""
        return JSONResponse(
            {"type": "about:blank", "title": _title(exc.status_code), "status": exc.status_code, "detail": exc.detail},
            status_code=exc.status_code,
            media_type="application/problem+json",
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(OperationalError)
    async def store_unreachable(_request: Request, exc: OperationalError) -> JSONResponse:
        """The database is away: say so plainly; the live feed (Redis) keeps working meanwhile."""
        log.error("relational store unreachable: %s", exc.orig)
        return JSONResponse(
            {"type": "about:blank", "title": "Service Unavailable", "status": 503,
             "detail": "the database is unreachable; documenting is temporarily unavailable"},
            status_code=503, media_type="application/problem+json", headers={"Retry-After": "5"},
        )

    @app.exception_handler(RedisError)
    async def bus_unreachable(_request: Request, exc: RedisError) -> JSONResponse:
        """The event bus is away: 503 with the reason (the console shows it as an alarm), never a 500."""
        log.error("event bus unreachable: %s", exc)
        return JSONResponse(
            {"type": "about:blank", "title": "Service Unavailable", "status": 503, "detail": BUS_DOWN_DETAIL},
            status_code=503, media_type="application/problem+json", headers={"Retry-After": "3"},
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

    @app.get("/readyz", tags=["ops"])
    async def readyz(request: Request) -> JSONResponse:
        """Ready for traffic: the database and Redis answer and the consumer runs (a load balancer's check)."""
        checks = {"consumer": "running" if request.app.state.consumer.alive else "dead"}
        try:
            await asyncio.wait_for(request.app.state.redis.ping(), timeout=2)
            checks["redis"] = "ok"
        except (RedisError, OSError, TimeoutError) as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
        checks["database"] = await asyncio.to_thread(_database_check, request.app.state.sessionmaker)
        ready = checks["consumer"] == "running" and checks["redis"] == "ok" and checks["database"] == "ok"
        return JSONResponse({"status": "ready" if ready else "not_ready", **checks}, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        return Response(render_metrics(request.app.state.metrics), media_type=METRICS_CONTENT_TYPE)

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _database_check(sessions: sessionmaker[Session]) -> str:
    try:
        with sessions() as db:
            db.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok"


def _title(status_code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"
