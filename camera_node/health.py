"""The node's health endpoint: a tiny Starlette app served by uvicorn inside the node's event loop.

`GET /healthz` returns the node's status: per-stage p50/p99 (ms), capture counters, and the
open camera fault if any. It shows no pixels. Off unless `NATTVAKT_NODE__HEALTH_PORT` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from camera_node.capture import CaptureThread
from camera_node.pipeline import FramePipeline

log = logging.getLogger(__name__)


def node_status(node_id: str, capture: CaptureThread, pipeline: FramePipeline) -> dict[str, Any]:
    """Status as plain data (also logged at shutdown)."""
    processor = pipeline.processor
    return {
        "node": node_id,
        "source": capture.source.description,
        "processed": pipeline.processed,
        "capture": asdict(capture.stats),
        "camera_fault": processor.faults.active,
        "stages_ms": {stage: asdict(summary) for stage, summary in processor.timings.summary().items()},
        "counters": dict(processor.timings.counters),
        "privacy": asdict(processor.privacy.stats),
    }


def create_health_app(status: Callable[[], dict[str, Any]]) -> Starlette:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse(status())

    return Starlette(routes=[Route("/healthz", healthz)])


class HealthServer:
    """Owns the uvicorn server task; `stop()` asks it to exit and awaits it."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None
        self.where = f"http://{host}:{port}/healthz"

    def start(self) -> None:
        self._task = asyncio.create_task(self._serve(), name="node health server")

    async def _serve(self) -> None:
        try:
            await self._server.serve()
        except (OSError, SystemExit) as exc:  # uvicorn exits on a taken port; the node keeps watching
            log.error("node health endpoint %s could not start: %s", self.where, exc)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self._task, timeout=5)
