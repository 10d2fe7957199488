"""The node's control channel: one WebSocket to central, authenticated with the node's own token.

It registers the node (`Hello`), receives consent copies, look-in offers and closes, and sends answers, refusals and
the start and stop of each stream. It reconnects with jittered exponential backoff; messages for central (a
`Stopped` that the audit trail needs) wait in a bounded queue while central is away. Media never goes this way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from nattvakt.backoff import Backoff
from nattvakt.lookin_protocol import TO_NODE, FromCentral, Hello

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 10.0
QUEUE_LIMIT = 1000

Handler = Callable[[FromCentral], Awaitable[BaseModel | None]]
"""Handles one message from central; a returned message is sent back."""


class ControlChannel:
    """Owns the connection task; `send` queues a message for central."""

    def __init__(
        self, url: str, hello: Callable[[], Hello], token: Callable[[], str | None], handle: Handler, *,
        open_timeout_s: float = 5.0,
    ) -> None:
        self._url = url
        self._hello = hello
        self._token = token
        self._handle = handle
        self._open_timeout_s = open_timeout_s
        self._outbox: asyncio.Queue[str] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._task: asyncio.Task[None] | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.connected = asyncio.Event()
        self.connections = 0
        self.last_error = ""

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"control channel {self._url}")

    async def stop(self) -> None:
        for task in [self._task, *self._handlers]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def flush(self, timeout_s: float) -> None:
        """Wait (at most `timeout_s`) until every queued message has been sent."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._outbox.join(), timeout_s)

    def send(self, message: BaseModel) -> None:
        """Queue a message for central; the oldest is dropped when central has been away for very long."""
        if self._outbox.full():
            dropped = self._outbox.get_nowait()
            self._outbox.task_done()
            log.error("control channel outbox full; dropped %s", dropped[:120])
        self._outbox.put_nowait(message.model_dump_json())

    async def _run(self) -> None:
        retry = Backoff(0.5, MAX_BACKOFF_S)
        while True:
            token = self._token()
            if token is None:
                self.last_error = "no node token"
                log.warning("no control-channel token for this node yet; retrying")
            else:
                try:
                    async with connect(
                        self._url, additional_headers={"Authorization": f"Bearer {token}"},
                        open_timeout=self._open_timeout_s, ping_interval=15, ping_timeout=20, proxy=None,
                    ) as ws:
                        retry.reset()
                        await self._serve(ws)
                except InvalidStatus as exc:
                    self.last_error = f"central refused the control channel: HTTP {exc.response.status_code}"
                    log.error("%s (is the node token right?)", self.last_error)
                except (OSError, TimeoutError, WebSocketException) as exc:
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("control channel to %s lost: %s", self._url, self.last_error)
                finally:
                    self.connected.clear()
            await asyncio.sleep(retry.next())

    async def _serve(self, ws: ClientConnection) -> None:
        await ws.send(self._hello().model_dump_json())
        self.connections += 1
        self.connected.set()
        log.info("control channel to %s open", self._url)
        sender = asyncio.create_task(self._pump(ws), name="control channel sender")
        try:
            async for raw in ws:
                self._dispatch(raw if isinstance(raw, str) else raw.decode(errors="replace"))
        except ConnectionClosed:
            pass
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await sender

    async def _pump(self, ws: ClientConnection) -> None:
        while True:
            text = await self._outbox.get()
            try:
                await ws.send(text)
            except ConnectionClosed:
                with contextlib.suppress(asyncio.QueueFull):
                    self._outbox.put_nowait(text)  # not lost: sent after the reconnect (order may change)
                raise
            finally:
                self._outbox.task_done()

    def _dispatch(self, raw: str) -> None:
        try:
            message = TO_NODE.validate_json(raw)
        except ValidationError as exc:
            log.error("unreadable control message from central (%s): %s", exc.errors()[0]["msg"], raw[:120])
            return
        task = asyncio.create_task(self._run_handler(message), name=f"control {message.type}")
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _run_handler(self, message: FromCentral) -> None:
        try:
            reply = await self._handle(message)
        except Exception:  # boundary: one bad message must not close the channel
            log.exception("handling %s from central failed", json.dumps(message.model_dump(mode="json"))[:120])
            return
        if reply is not None:
            self.send(reply)
