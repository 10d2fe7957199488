"""The pipeline thread times each stage; the node's health endpoint serves p50/p99 over real HTTP."""

from __future__ import annotations

import asyncio

import httpx

from camera_node.capture import CaptureThread, open_source
from camera_node.faults import CameraFaultMonitor
from camera_node.health import HealthServer, create_health_app, node_status
from camera_node.motion import MotionDetector
from camera_node.motion_events import MotionEventRule, RoomIdentity
from camera_node.pipeline import FramePipeline, FrameProcessor
from nattvakt.events import Event
from nattvakt.redis_server import free_port
from privacy import PrivacyFilter

ROOM = RoomIdentity("node-h", "rum-h", "")


async def test_health_endpoint_reports_stage_timings() -> None:
    capture = CaptureThread(open_source("synthetic", width=160, height=120, fps=30.0, loop=True))
    processor = FrameProcessor(
        PrivacyFilter(), MotionDetector(), MotionEventRule(ROOM, 1.0), CameraFaultMonitor(ROOM, 5.0), ROOM
    )
    events: list[Event] = []
    pipeline = FramePipeline(capture, processor, emit=events.append)
    port = free_port()
    server = HealthServer(create_health_app(lambda: node_status("node-h", capture, pipeline)), "127.0.0.1", port)
    capture.start()
    pipeline.start()
    server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                await asyncio.sleep(0.1)
                try:
                    status = (await client.get("/healthz")).json()
                except httpx.ConnectError:
                    continue
                if status["processed"] >= 10:
                    break
    finally:
        await server.stop()
        capture.stop()
        pipeline.stop()
    assert status["node"] == "node-h" and status["processed"] >= 10
    for stage in ("privacy", "motion", "events", "total"):
        summary = status["stages_ms"][stage]
        assert summary["count"] >= 10 and 0 < summary["p50_ms"] <= summary["p99_ms"] <= summary["max_ms"]
    assert status["capture"]["frames"] >= 10 and "dropped" in status["capture"]
    assert status["camera_fault"] is None
    assert status["privacy"]["detector_runs"] >= 1
