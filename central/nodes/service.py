"""Rooms, camera nodes' secret tokens and zones in the store, and checking a node's token."""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from central.audit.store import append, commit_with_retry
from central.nodes.models import CameraNode, Room, Zone
from central.staff.service import token_hash
from nattvakt.node_token import token_matches
from nattvakt.settings import ZoneSettings


def create_room(db: Session, name: str, recipient_id: int | None, actor: str) -> Room:
    def work(s: Session) -> Room:
        room = Room(name=name, recipient_id=recipient_id, created_at=datetime.now(UTC))
        s.add(room)
        s.flush()
        append(s, "room_created", actor, recipient_id, {"room": name})
        return room

    return commit_with_retry(db, work)


def list_rooms(db: Session) -> list[Room]:
    return list(db.scalars(select(Room).order_by(Room.name)))


def issue_node_token(db: Session, node_id: str, actor: str) -> str:
    """A new secret token for the node (the old one stops working); only its hash is stored."""
    token = secrets.token_urlsafe(32)

    def work(s: Session) -> None:
        node = s.get(CameraNode, node_id) or CameraNode(node_id=node_id, copy_version=0)
        s.add(node)
        node.token_hash = token_hash(token)
        append(s, "node_token_issued", actor, node.recipient_id, {"node_id": node_id})

    commit_with_retry(db, work)
    return token


def node_for_token(db: Session, token: str) -> CameraNode | None:
    if not token or len(token) > 128:
        return None
    return db.scalars(select(CameraNode).where(CameraNode.token_hash == token_hash(token))).first()


def set_zones(db: Session, node_id: str, zones: Sequence[ZoneSettings], actor: str) -> None:
    def work(s: Session) -> None:
        s.execute(delete(Zone).where(Zone.node_id == node_id))
        for zone in zones:
            s.add(Zone(node_id=node_id, name=zone.name, kind=zone.kind,
                       polygon=json.dumps([list(p) for p in zone.polygon])))
        node = s.get(CameraNode, node_id)
        append(s, "zones_changed", actor, node.recipient_id if node else None,
               {"node_id": node_id, "zones": [f"{z.name} ({z.kind})" for z in zones]})

    commit_with_retry(db, work)


def zones_of(db: Session, node_id: str) -> list[ZoneSettings]:
    rows = db.scalars(select(Zone).where(Zone.node_id == node_id).order_by(Zone.name))
    return [ZoneSettings(name=row.name, kind=row.kind,
                         polygon=tuple(tuple(p) for p in json.loads(row.polygon))) for row in rows]


def verify_node(db: Session, master: bytes, node_id: str, presented: str) -> bool:
    """A node's stored token (SHA-256 in `camera_node.token_hash`) when one was issued, else the derived one."""
    node = db.get(CameraNode, node_id)
    if node is not None and node.token_hash:
        given = token_hash(presented)
        return hmac.compare_digest(node.token_hash.encode(), given.encode())
    return token_matches(master, node_id, presented)
