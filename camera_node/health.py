"""The node's health endpoint: a tiny Starlette app served by uvicorn inside the node's event loop.

`GET /healthz` returns the node's status: per-stage p50/p99 (ms), capture counters, and the
open camera fault if any. It shows no pixels. Off unless `NATTVAKT_NODE__HEALTH_PORT` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from camera_node.capture import CaptureThread
from camera_node.pause_gate import PauseGate
from camera_node.pipeline import FramePipeline
from camera_node.publisher import EventPublisher
from camera_node.rules.stage import DetectionStage

log = logging.getLogger(__name__)


@dataclass(slots=True)
class NodeParts:
    """What the node's status reads; publisher and detection are optional for tests of the pipeline alone."""

    node_id: str
    capture: CaptureThread
    pipeline: FramePipeline
    publisher: EventPublisher | None = None
    detection: DetectionStage | None = None
    perception_enabled: bool = True
    pause_gate: PauseGate | None = None
    started: float = field(default_factory=time.monotonic)


def node_status(parts: NodeParts) -> dict[str, Any]:
    """Status as plain data (also logged at shutdown). No pixels, no names beyond the node's own."""
    processor = parts.pipeline.processor
    uptime = max(time.monotonic() - parts.started, 1e-6)
    status: dict[str, Any] = {
        "node": parts.node_id,
        "source": parts.capture.source.description,
        "processed": parts.pipeline.processed,
        "fps": round(parts.pipeline.processed / uptime, 2),
        "capture": asdict(parts.capture.stats),
        "camera_fault": processor.faults.active,
        "camera_problem": parts.capture.problem_detail,  # why frames stopped, the camera URL redacted
        "stages_ms": {stage: asdict(summary) for stage, summary in processor.timings.summary().items()},
        "counters": dict(processor.timings.counters),
        "privacy": asdict(processor.privacy.stats),
    }
    if parts.publisher is not None:
        status["spool"] = {
            "backlog": parts.publisher.backlog,
            "published": parts.publisher.published,
            "dropped": parts.publisher.dropped,
        }
    if parts.pause_gate is not None:
        status["held_back_while_paused"] = parts.pause_gate.held_back
    if parts.detection is not None:
        detection = parts.detection
        if not parts.perception_enabled:
            state = "off"
        elif not detection.available:
            state = "unavailable"  # the models would not load: motion-only rules, `detector_fault` raised
        else:
            state = "degraded" if detection.degraded else "running"
        status["detector"] = {"state": state, "runs": detection.runs}
    return status


def heartbeat_health(parts: NodeParts) -> dict[str, int | float | str | None]:
    """The few figures ops see beside each camera in the console (sent with every heartbeat): frames per second,
    the camera's fault if any, and the detector's state."""
    status = node_status(parts)
    detector = status.get("detector", {}).get("state", "off")
    return {"fps": status["fps"], "camera_fault": status["camera_fault"] or None, "detector": detector}


def ready(status: dict[str, Any]) -> tuple[bool, str]:
    """Ready when frames flow and the camera has no fault: what a supervisor or load balancer may act on."""
    if status["camera_fault"]:
        return False, f"camera fault: {status['camera_fault']}"
    if status["processed"] == 0:
        return False, "no frame processed yet"
    return True, "ok"


def prometheus_text(status: dict[str, Any]) -> str:
    """The status as Prometheus text format (no client registry needed for a handful of gauges)."""
    node = status["node"].replace("\\", "\\\\").replace('"', '\\"')
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            extra = f",{labels}" if labels else ""
            lines.append(f'{name}{{node="{node}"{extra}}} {float(value)}')

    capture = status["capture"]
    metric("nattvakt_node_frames_processed_total", "counter", "Frames through the pipeline",
           [("", status["processed"])])
    metric("nattvakt_node_fps", "gauge", "Frames per second since start", [("", status["fps"])])
    for key in ("dropped", "reconnects", "open_failures", "bad_frames", "size_changes"):
        metric(f"nattvakt_node_capture_{key}_total", "counter", f"Capture {key.replace('_', ' ')}",
               [("", capture.get(key, 0))])
    metric("nattvakt_node_camera_fault", "gauge", "1 while the camera is lost, frozen, black or covered",
           [("", 1.0 if status["camera_fault"] else 0.0)])
    stages = status["stages_ms"]
    metric("nattvakt_node_stage_latency_ms", "gauge", "Per-stage latency over the recent window",
           [(f'stage="{stage}",quantile="{q}"', summary[f"p{q}_ms"])
            for stage, summary in sorted(stages.items()) for q in ("50", "99")])
    if "spool" in status:
        spool = status["spool"]
        metric("nattvakt_node_spool_backlog", "gauge", "Events not yet confirmed by Redis", [("", spool["backlog"])])
        metric("nattvakt_node_events_published_total", "counter", "Event revisions put on the stream",
               [("", spool["published"])])
        metric("nattvakt_node_events_dropped_total", "counter", "Events the full spool dropped",
               [("", spool["dropped"])])
    if "detector" in status:
        detector = status["detector"]
        metric("nattvakt_node_detector_up", "gauge", "1 while person detection runs (0: off or degraded)",
               [("", 1.0 if detector["state"] == "running" else 0.0)])
        metric("nattvakt_node_detector_runs_total", "counter", "Detector runs", [("", detector["runs"])])
    return "\n".join(lines) + "\n"


def create_health_app(status: Callable[[], dict[str, Any]]) -> Starlette:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse(status())

    async def readyz(request: Request) -> JSONResponse:
        current = status()
        is_ready, why = ready(current)
        return JSONResponse({"status": "ready" if is_ready else "not_ready", "why": why},
                            status_code=200 if is_ready else 503)

    async def metrics(request: Request) -> PlainTextResponse:
        return PlainTextResponse(prometheus_text(status()), media_type="text/plain; version=0.0.4; charset=utf-8")

    return Starlette(routes=[Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)])


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
