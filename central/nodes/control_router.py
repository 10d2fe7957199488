"""The nodes' control channel: one WebSocket per node, authenticated with the node's own token.

A wrong or revoked token is refused before the socket opens (HTTP 403) and audited. On connect central sends the
node its current signed consent copy and the zones drawn for it in the console (if any); then it relays look-in
offers and closes, and receives answers and reports (and the commissioning stills ops ask for).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, WebSocketException, status
from pydantic import ValidationError
from redis.exceptions import RedisError

from central.audit import store as audit_store
from central.lookins.hub import NodeHub, NodeLink
from central.nodes.service import verify_node, zones_of
from central.nodes.stills import StillDesk
from nattvakt.consent_transport import copy_key
from nattvakt.lookin_protocol import CONTROL_PATH, TO_CENTRAL, ConsentCopyNotice, Still, ZonesNotice
from nattvakt.settings import ZoneSettings

log = logging.getLogger(__name__)
router = APIRouter(tags=["nodes"])


def _bearer(websocket: WebSocket) -> str:
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def _push_consent_copy(hub: NodeHub, websocket: WebSocket, node_id: str) -> None:
    try:
        raw = await hub.redis.hget(copy_key(node_id), "copy")
    except RedisError as exc:
        log.warning("no consent copy pushed to %s (Redis: %s); it reads Redis itself", node_id, exc)
        return
    if raw:
        await websocket.send_text(ConsentCopyNotice(copy_text=raw).model_dump_json())


@router.websocket(CONTROL_PATH)
async def node_channel(websocket: WebSocket, node_id: str) -> None:
    hub: NodeHub = websocket.app.state.lookin_hub
    token = _bearer(websocket)
    sessions = websocket.app.state.sessionmaker

    def check() -> tuple[bool, list[ZoneSettings]]:
        with sessions() as db:
            ok = bool(token) and len(node_id) <= 64 and verify_node(db, hub.master, node_id, token)
            if not ok:
                audit_store.record(db, "node_auth_refused", node_id[:64], None,
                                   {"node_id": node_id[:64], "token_given": bool(token)})
                return False, []
            return True, zones_of(db, node_id)

    ok, zones = await asyncio.to_thread(check)
    if not ok:
        log.warning("control channel refused for node %r: wrong or missing token", node_id[:64])
        raise WebSocketException(status.WS_1008_POLICY_VIOLATION, "wrong or revoked node token")
    await websocket.accept()
    link = NodeLink(node_id, websocket)
    replaced = hub.attach(link)
    if replaced is not None:
        await replaced.socket.close(status.WS_1012_SERVICE_RESTART)
    log.info("node %s connected its control channel", node_id)
    try:
        await _push_consent_copy(hub, websocket, node_id)
        if zones:  # none drawn yet: the node keeps the zones of its own settings
            await websocket.send_text(ZonesNotice(zones=tuple(zones)).model_dump_json())
        while True:
            raw = await websocket.receive_text()
            try:
                message = TO_CENTRAL.validate_json(raw)
            except ValidationError as exc:
                log.error("node %s sent an unreadable message (%s): %.120s", node_id, exc.errors()[0]["msg"], raw)
                continue
            if isinstance(message, Still):  # a commissioning still ops asked for (`central.nodes.stills`)
                stills: StillDesk = websocket.app.state.stills
                stills.deliver(node_id, message)
                continue
            await hub.on_message(link, message)
    except WebSocketDisconnect:
        pass
    finally:
        hub.detach(link)
        log.info("node %s control channel closed", node_id)
