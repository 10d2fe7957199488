"""Wires look-ins into a node: the outgoing tap on the pipeline, the look-in service, and the control channel (which
also brings the consent copy and the zones drawn in the console, and asks for commissioning stills)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from aiortc import RTCConfiguration, RTCIceServer
from pydantic import BaseModel

from camera_node.control_channel import ControlChannel
from camera_node.lookin import ConsentCheck, LookinService
from camera_node.lookin_tap import OutgoingTap
from camera_node.pipeline import FramePipeline
from camera_node.still import take_still
from nattvakt.lookin_protocol import (
    CONTROL_PATH,
    ConsentCopyNotice,
    FromCentral,
    Hello,
    Offer,
    Started,
    StillRequest,
    Stopped,
    ZonesNotice,
)
from nattvakt.node_token import node_token
from nattvakt.settings import IceServer, Settings, ZoneSettings

log = logging.getLogger(__name__)


class ConsentSink(ConsentCheck, Protocol):
    """A consent check that also accepts copies from any transport (`ConsentWatcher` is one)."""

    def offer(self, raw: str, source: str) -> bool: ...


def control_url(settings: Settings) -> str:
    """Central's control-channel WebSocket for this node."""
    base = settings.node.central_url or f"ws://{settings.central.host}:{settings.central.port}"
    return base.rstrip("/") + CONTROL_PATH.format(node_id=settings.node.node_id)


ZonesSink = Callable[[Sequence[ZoneSettings]], None]
"""Takes the zones central sent (`RoomRules.use_zones` through the detection stage)."""


class LookinRuntime:
    """Owns the service and the channel; `start` hooks the tap into the pipeline."""

    def __init__(
        self, node_id: str, room: str, consent: ConsentSink, pipeline: FramePipeline, url: str,
        token: Callable[[], str | None], *, max_viewers: int = 1, ice_timeout_s: float = 10.0,
        ice_servers: Sequence[IceServer] = (), zones: ZonesSink | None = None,
    ) -> None:
        self._node_id = node_id
        self._zones = zones
        self._room = room
        self._consent = consent
        self._pipeline = pipeline
        self.tap = OutgoingTap()
        rtc = RTCConfiguration(iceServers=[
            RTCIceServer(urls=list(server.urls), username=server.username,
                         credential=server.credential.get_secret_value() if server.credential else None)
            for server in ice_servers
        ])
        self.service = LookinService(node_id, consent, self.tap, self._report, max_viewers=max_viewers,
                                     ice_timeout_s=ice_timeout_s, rtc=rtc)
        self._max_viewers = max_viewers
        self.channel = ControlChannel(url, self._hello, token, self._handle)

    @classmethod
    def for_node(cls, settings: Settings, consent: ConsentSink, pipeline: FramePipeline,
                 zones: ZonesSink | None = None) -> LookinRuntime:
        cfg = settings.node
        return cls(cfg.node_id, cfg.room, consent, pipeline, control_url(settings), lambda: node_token(settings),
                   max_viewers=cfg.lookin_max_viewers, ice_timeout_s=cfg.lookin_ice_timeout_s,
                   ice_servers=cfg.ice_servers, zones=zones)

    def _hello(self) -> Hello:
        return Hello(node_id=self._node_id, room=self._room, max_viewers=self._max_viewers,
                     active=self.service.active)

    def _report(self, message: Started | Stopped) -> None:
        self.channel.send(message)

    async def _handle(self, message: FromCentral) -> BaseModel | None:
        if isinstance(message, ConsentCopyNotice):
            self._consent.offer(message.copy_text, "control channel")
            return None
        if isinstance(message, ZonesNotice):
            if self._zones is None:
                log.warning("%s: zones from central ignored: this node runs no care rules", self._node_id)
            else:
                self._zones(message.zones)
                log.info("%s: using %d zone(s) drawn in the console: %s", self._node_id, len(message.zones),
                         ", ".join(f"{z.name} ({z.kind})" for z in message.zones) or "none")
            return None
        if isinstance(message, Offer):
            return await self.service.handle_offer(message)
        if isinstance(message, StillRequest):
            log.info("%s: a privacy-safe still for %s (commissioning)", self._node_id, message.staff or "ops")
            return await take_still(self.tap, message)
        if not self.service.close(message.lookin_id, message.why):
            log.info("%s: close for look-in %s, which is not live here", self._node_id, message.lookin_id)
        return None

    def start(self) -> None:
        self._pipeline.outgoing = self.tap
        self.channel.start()

    async def stop(self) -> None:
        await self.service.stop()
        await self.channel.flush(1.0)  # the stops of live look-ins belong in central's audit trail
        await self.channel.stop()
        self._pipeline.outgoing = None
