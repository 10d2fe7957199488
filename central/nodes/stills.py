"""Commissioning stills: central asks a connected node for one privacy-safe still (`StillRequest`) and waits a few
seconds for its `Still`. The picture passes through memory only: it is never written to disk or the database."""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets

from central.lookins.hub import NodeHub, NodeUnavailableError
from nattvakt.lookin_protocol import Still, StillRequest

JPEG_MAGIC = b"\xff\xd8\xff"


class StillDesk:
    """The stills asked for and not yet answered, by request id (per central instance, like the node links)."""

    def __init__(self, hub: NodeHub, timeout_s: float) -> None:
        self._hub = hub
        self._timeout_s = timeout_s
        self._pending: dict[str, tuple[str, asyncio.Future[Still]]] = {}

    async def ask(self, node_id: str, staff: str) -> bytes:
        """The node's still as JPEG bytes; `NodeUnavailableError` when it is not connected, silent or has none."""
        request = StillRequest(request_id=secrets.token_hex(16), staff=staff[:128])
        future: asyncio.Future[Still] = asyncio.get_running_loop().create_future()
        self._pending[request.request_id] = (node_id, future)
        try:
            if not await self._hub.push(node_id, request):
                raise NodeUnavailableError(f"camera node {node_id} is not connected")
            still = await asyncio.wait_for(future, self._timeout_s)
        except TimeoutError as exc:
            raise NodeUnavailableError(f"camera node {node_id} sent no still within {self._timeout_s:g} s") from exc
        finally:
            self._pending.pop(request.request_id, None)
        if still.error:
            raise NodeUnavailableError(f"camera node {node_id} has no picture now ({still.error})")
        try:
            jpeg = base64.b64decode(still.jpeg_b64, validate=True)
        except binascii.Error as exc:
            raise NodeUnavailableError(f"camera node {node_id} sent an unreadable still") from exc
        if not jpeg.startswith(JPEG_MAGIC):
            raise NodeUnavailableError(f"camera node {node_id} sent a still that is not a JPEG")
        return jpeg

    def deliver(self, node_id: str, still: Still) -> None:
        """A still arrived on `node_id`'s channel; one asked of another node, or too late, is dropped."""
        asked = self._pending.get(still.request_id)
        if asked is not None and asked[0] == node_id and not asked[1].done():
            asked[1].set_result(still)
