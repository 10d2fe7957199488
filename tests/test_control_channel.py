"""The node's control channel against a real central served by uvicorn on 127.0.0.1: token check, registration,
reconnection with backoff after central restarts, and no message for central lost while it was away."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from pydantic import BaseModel
from sqlalchemy import select
from ulid import ULID

from camera_node.control_channel import ControlChannel
from central.app import create_app
from central.audit.models import AuditEntry
from central.db import open_store
from central.lookins.hub import RECONCILE_AFTER_S, LiveLookin, NodeHub
from nattvakt.consent_transport import master_key
from nattvakt.lookin_protocol import FromCentral, Hello, Stopped
from nattvakt.node_token import derive_node_token
from nattvakt.redis_server import free_port
from nattvakt.settings import CentralSettings, Settings

NODE = "node-cc"


async def until(predicate: Callable[[], bool], within_s: float = 5.0) -> None:
    for _ in range(int(within_s / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"condition not met within {within_s} s")


class Central:
    """`create_app` under uvicorn in this event loop; `stop()` and `start()` again on the same port."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.settings.central.port, log_level="warning",
                                lifespan="on")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        await until(lambda: self._server is not None and self._server.started)

    async def stop(self) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task

    @property
    def hub(self) -> NodeHub:
        hub: NodeHub = self.app.state.lookin_hub
        return hub


@pytest.fixture
async def central(tmp_path: Path, redis_url: str) -> AsyncIterator[Central]:
    settings = Settings(redis_url=redis_url, database_url=f"sqlite:///{tmp_path / 'n.db'}", data_dir=tmp_path,
                        events_stream="cc:events", central=CentralSettings(port=free_port()))
    running = Central(settings)
    await running.start()
    yield running
    with contextlib.suppress(AssertionError):
        await running.stop()


def channel(central: Central, token: str, received: list[BaseModel]) -> ControlChannel:
    async def handle(message: FromCentral) -> BaseModel | None:
        received.append(message)
        return None

    url = f"ws://127.0.0.1:{central.settings.central.port}/api/nodes/{NODE}/ws"
    return ControlChannel(url, lambda: Hello(node_id=NODE, room="rum-c", max_viewers=2), lambda: token, handle)


async def test_registers_reconnects_and_delivers_what_waited(
    central: Central, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="central.signalling")
    master = master_key(central.settings, create=False)
    assert master is not None
    received: list[BaseModel] = []
    node = channel(central, derive_node_token(master, NODE), received)
    node.start()
    try:
        await asyncio.wait_for(node.connected.wait(), 5)
        await until(lambda: registered(central))
        assert central.hub.max_viewers(NODE) == 2, "the hello registered the node"

        await central.stop()
        await until(lambda: not node.connected.is_set())
        waited = str(ULID())
        node.send(Stopped(lookin_id=waited, why="max_duration", duration_s=30.0, frames=300, started=True))
        await central.start()  # same port: the node finds it again by itself
        await asyncio.wait_for(node.connected.wait(), 15)
        await asyncio.wait_for(node.flush(5), 6)
        await until(lambda: registered(central))
        assert node.connections == 2
        await until(lambda: waited in caplog.text)
        assert f"reported stopped for unknown look-in {waited}" in caplog.text, "the stop that waited reached central"

        # A look-in the node no longer has after a reconnect (it restarted) is recorded as lost, not left "busy".
        lost = LiveLookin(str(ULID()), NODE, 1, "nils", "rum-c", "event_lookin", "on_floor", None,
                          started_at=datetime.now(UTC))
        central.hub.lookins[lost.lookin_id] = lost
        await central.hub.nodes[NODE].socket.close()
        await until(lambda: node.connections == 3, 10)
        await until(lambda: lost.lookin_id not in central.hub.lookins, RECONCILE_AFTER_S + 3)
        assert central.hub.viewers(NODE) == 0
        engine, sessions = open_store(central.settings.database_url)

        def stops() -> list[tuple[str, str]]:
            with sessions() as db:
                rows = db.scalars(select(AuditEntry).where(AuditEntry.kind == "lookin_stopped"))
                return [(json.loads(r.details)["lookin_id"], json.loads(r.details)["why"]) for r in rows]

        await until(lambda: bool(stops()))
        engine.dispose()
        assert stops() == [(lost.lookin_id, "lost")]
    finally:
        await node.stop()


def registered(central: Central) -> bool:
    return NODE in central.hub.nodes and central.hub.nodes[NODE].hello is not None


async def test_a_wrong_token_never_connects(central: Central) -> None:
    received: list[BaseModel] = []
    node = channel(central, "f" * 64, received)
    node.start()
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(node.connected.wait(), 1.5)
        assert "HTTP 403" in node.last_error
        assert NODE not in central.hub.nodes and not received
    finally:
        await node.stop()
