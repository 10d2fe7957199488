"""The camera node process: capture thread, pipeline thread, and the async publisher."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

from camera_node.capture import CaptureThread, open_source
from camera_node.consent_sync import ConsentWatcher
from camera_node.faults import CameraFaultMonitor
from camera_node.health import HealthServer, NodeParts, create_health_app, heartbeat_health, node_status
from camera_node.heartbeat import HeartbeatSender
from camera_node.lookin_runtime import LookinRuntime
from camera_node.motion import MotionConfig, MotionDetector
from camera_node.motion_events import MotionEventRule
from camera_node.network_source import NetworkOptions
from camera_node.pause_gate import PauseGate
from camera_node.pipeline import FramePipeline, FrameProcessor
from camera_node.publisher import open_publisher
from camera_node.rules.stage import build_detection_stage, build_privacy_filter
from camera_node.rules.zones import RoomZones
from camera_node.timing import StageTimings
from nattvakt.events import Event, Origin
from nattvakt.settings import Settings

log = logging.getLogger(__name__)


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[Event], None], event: Event) -> None:
    loop.call_soon_threadsafe(callback, event)


async def run_node(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM, then stop every thread and task it owns."""
    cfg = settings.node
    source = open_source(cfg.source, width=cfg.width, height=cfg.height, fps=cfg.fps, loop=cfg.loop,
                         network=NetworkOptions.from_settings(cfg))
    capture = CaptureThread.for_node(source, cfg)
    publisher = open_publisher(settings)
    heartbeat = HeartbeatSender.for_node(settings, publisher, health=lambda: heartbeat_health(parts))
    consent = ConsentWatcher.for_node(settings, publisher.submit)
    loop = asyncio.get_running_loop()
    identity = Origin(cfg.node_id, cfg.room, cfg.recipient)
    motion = MotionDetector(
        MotionConfig(threshold=cfg.motion_threshold, background=cfg.motion_background, ignore=cfg.motion_ignore)
    )
    timings = StageTimings()
    privacy, perception_error = build_privacy_filter(cfg)
    processor = FrameProcessor(
        privacy,
        motion,
        MotionEventRule(identity, cfg.motion_quiet_s),
        CameraFaultMonitor(identity, cfg.camera_fault_after_s),
        identity,
        # Perception and care rules; models that will not load leave them on motion with `detector_fault`.
        detect=(detection := build_detection_stage(cfg, identity, timings=timings, load_error=perception_error)),
        timings=timings,
    )
    gate = PauseGate(consent.decide, publisher.submit, cfg.node_id)  # a paused room's detections stay here
    pipeline = FramePipeline(capture, processor, emit=lambda event: _call_soon(loop, gate, event), fps=cfg.fps)
    parts = NodeParts(cfg.node_id, capture, pipeline, publisher, detection, cfg.perception_enabled, gate)
    health = (
        HealthServer(create_health_app(lambda: node_status(parts)), cfg.health_host, cfg.health_port)
        if cfg.health_port
        else None
    )
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    publisher.start()
    heartbeat.start()
    consent.start()
    capture.start()
    pipeline.start()
    lookin = LookinRuntime.for_node(settings, consent, pipeline,
                                    zones=lambda zones: detection.rules.use_zones(RoomZones.from_settings(zones)))
    lookin.start()
    if health is not None:
        health.start()
    log.info("%s: watching room %s from %s", cfg.node_id, cfg.room, source.description)
    try:
        await stop.wait()
    finally:
        log.info("%s: stopping", cfg.node_id)
        await lookin.stop()
        capture.stop()
        pipeline.stop()
        if health is not None:
            await health.stop()
        log.info("%s: status at stop: %s", cfg.node_id, node_status(parts))
        await heartbeat.stop()
        await consent.stop()
        await publisher.stop()
