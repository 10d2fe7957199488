"""Rooms (nurse_admin), node secret tokens and zones (ops), and a node's own view of itself (its token)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from anyio import from_thread
from fastapi import APIRouter, Depends, Header, HTTPException, Path, Request, status
from sqlalchemy.exc import IntegrityError

from central.dependencies import AnyStaffDep, DbDep, NurseAdminDep, OpsStaffDep, found
from central.lookins.hub import NodeHub
from central.nodes import service
from central.nodes.models import CameraNode, Room
from central.nodes.monitor import NodeMonitor
from central.nodes.schemas import NodeSelfOut, NodeStatus, NodeTokenOut, RoomIn, RoomOut, ZonesIn, ZonesSaved
from nattvakt.lookin_protocol import ZonesNotice

router = APIRouter(prefix="/api", tags=["rooms and nodes"])
NodeId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


def _room_out(room: Room) -> RoomOut:
    return RoomOut(id=room.id, name=room.name, recipient_id=room.recipient_id)


@router.get("/rooms")
def list_rooms(db: DbDep, _staff: AnyStaffDep) -> list[RoomOut]:
    return [_room_out(r) for r in service.list_rooms(db)]


@router.post("/rooms", status_code=status.HTTP_201_CREATED)
def create_room(body: RoomIn, db: DbDep, staff: NurseAdminDep) -> RoomOut:
    if body.recipient_id is not None:
        found(db, body.recipient_id)
    try:
        return _room_out(service.create_room(db, body.name, body.recipient_id, staff.username))
    except IntegrityError as exc:
        db.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"name: a room named {body.name!r} exists, or the recipient has a room already") from exc


@router.post("/nodes/{node_id}/token", status_code=status.HTTP_201_CREATED)
def issue_token(node_id: NodeId, db: DbDep, staff: OpsStaffDep) -> NodeTokenOut:
    """A new secret token for the node's requests to central; the previous one stops working at once."""
    return NodeTokenOut(node_id=node_id, token=service.issue_node_token(db, node_id, staff.username))


@router.get("/nodes/{node_id}/zones")
def get_zones(node_id: NodeId, db: DbDep, _staff: OpsStaffDep) -> ZonesIn:
    if db.get(CameraNode, node_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no camera node {node_id!r}")
    return ZonesIn(zones=service.zones_of(db, node_id))


@router.put("/nodes/{node_id}/zones")
def put_zones(node_id: NodeId, body: ZonesIn, request: Request, db: DbDep, staff: OpsStaffDep) -> ZonesSaved:
    """Replace the node's zones (bed, floor, door…); a connected node uses them from its next frame."""
    if db.get(CameraNode, node_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no camera node {node_id!r}")
    service.set_zones(db, node_id, body.zones, staff.username)
    hub: NodeHub = request.app.state.lookin_hub
    delivered = from_thread.run(hub.push, node_id, ZonesNotice(zones=tuple(body.zones)))
    return ZonesSaved(zones=body.zones, delivered=delivered)


def current_node(db: DbDep, authorization: Annotated[str | None, Header()] = None) -> CameraNode:
    """The node whose own secret token is in `Authorization: Bearer …` (else 401)."""
    scheme, _, token = (authorization or "").partition(" ")
    node = service.node_for_token(db, token.strip()) if scheme.lower() == "bearer" else None
    if node is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a node's own token is needed (Authorization: Bearer …)",
                            headers={"WWW-Authenticate": "Bearer"})
    return node


@router.get("/node/self")
def node_self(db: DbDep, node: Annotated[CameraNode, Depends(current_node)]) -> NodeSelfOut:
    """For a node, with its token: its room, recipient and zones."""
    room = db.get(Room, node.room_id) if node.room_id is not None else None
    return NodeSelfOut(node_id=node.node_id, room=room.name if room else None, recipient_id=node.recipient_id,
                       zones=service.zones_of(db, node.node_id))


@router.get("/ops/nodes", tags=["ops"])
async def nodes(request: Request, _staff: OpsStaffDep) -> list[NodeStatus]:
    """Every node that ever sent a heartbeat, with its last one (Redis clock)."""
    monitor: NodeMonitor = request.app.state.node_monitor
    seen = await monitor.last_seen()
    return [
        NodeStatus(node=node, last_seen=datetime.fromtimestamp(ms / 1000, UTC)) for node, ms in sorted(seen.items())
    ]
