"""The pipeline thread times each stage; the node's health endpoint serves p50/p99 over real HTTP."""

from __future__ import annotations

import asyncio

import httpx

from camera_node.capture import CaptureThread, open_source
from camera_node.faults import CameraFaultMonitor
from camera_node.health import HealthServer, NodeParts, create_health_app, node_status, prometheus_text
from camera_node.motion import MotionDetector
from camera_node.motion_events import MotionEventRule
from camera_node.pipeline import FramePipeline, FrameProcessor
from camera_node.publisher import open_publisher
from camera_node.rules.stage import build_detection_stage
from nattvakt.consent_transport import master_key
from nattvakt.events import Event, Origin
from nattvakt.redis_server import free_port
from nattvakt.settings import Settings
from privacy import PrivacyFilter

ROOM = Origin("node-h", "rum-h", "")


async def test_health_endpoint_reports_stage_timings() -> None:
    capture = CaptureThread(open_source("synthetic", width=160, height=120, fps=30.0, loop=True))
    processor = FrameProcessor(
        PrivacyFilter(), MotionDetector(), MotionEventRule(ROOM, 1.0), CameraFaultMonitor(ROOM, 5.0), ROOM
    )
    events: list[Event] = []
    pipeline = FramePipeline(capture, processor, emit=events.append)
    port = free_port()
    server = HealthServer(
        create_health_app(lambda: node_status(NodeParts("node-h", capture, pipeline))), "127.0.0.1", port
    )
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


async def test_readyz_and_metrics_show_spool_and_detector_state(settings: Settings) -> None:
    """A node with a real publisher (real Redis) and the real detector: readiness, fps, spool and detector."""
    capture = CaptureThread(open_source("synthetic", width=320, height=240, fps=20.0, loop=True))
    detection = build_detection_stage(settings.node, ROOM)
    processor = FrameProcessor(
        PrivacyFilter(), MotionDetector(), MotionEventRule(ROOM, 1.0), CameraFaultMonitor(ROOM, 5.0), ROOM,
        detect=detection,
    )
    master_key(settings, create=True)  # the node derives its event key from it
    publisher = open_publisher(settings)
    pipeline = FramePipeline(capture, processor, emit=publisher.submit)
    parts = NodeParts("node-h", capture, pipeline, publisher, detection)
    port = free_port()
    server = HealthServer(create_health_app(lambda: node_status(parts)), "127.0.0.1", port)
    server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(50):  # before the first frame: alive but not ready
                try:
                    early = await client.get("/readyz")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            assert early.status_code == 503 and early.json()["why"] == "no frame processed yet"
            publisher.start()
            capture.start()
            pipeline.start()
            for _ in range(100):
                await asyncio.sleep(0.1)
                if (await client.get("/healthz")).json()["processed"] >= 10:
                    break
            ready = await client.get("/readyz")
            status = (await client.get("/healthz")).json()
            metrics = (await client.get("/metrics")).text
    finally:
        await server.stop()
        capture.stop()
        pipeline.stop()
        await publisher.stop()
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert status["fps"] > 0 and status["detector"]["state"] == "running"
    assert status["spool"]["backlog"] >= 0 and status["spool"]["dropped"] == 0
    assert 'nattvakt_node_detector_up{node="node-h"} 1.0' in metrics
    assert 'nattvakt_node_stage_latency_ms{node="node-h",stage="motion",quantile="99"}' in metrics
    assert "# TYPE nattvakt_node_spool_backlog gauge" in metrics


def test_prometheus_text_escapes_the_node_label_and_reports_a_camera_fault() -> None:
    status = {
        "node": 'rum "7"', "processed": 3, "fps": 1.5, "camera_fault": "covered", "stages_ms": {},
        "capture": {"dropped": 0, "reconnects": 2, "bad_frames": 1, "size_changes": 0},
    }
    text = prometheus_text(status)
    assert 'nattvakt_node_camera_fault{node="rum \\"7\\""} 1.0' in text
    assert 'nattvakt_node_capture_reconnects_total{node="rum \\"7\\""} 2.0' in text
