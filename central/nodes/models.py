"""Relational records of the home's rooms and camera nodes, and the zones drawn on each camera's view."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from central.db import Base


class Room(Base):
    """A room of the home; at most one care recipient lives in it."""

    __tablename__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("recipient.id", ondelete="SET NULL"), unique=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CameraNode(Base):
    """A camera node, the recipient whose room it watches, and the version of the consent copy last sent to it."""

    __tablename__ = "camera_node"

    node_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipient.id", ondelete="SET NULL"), index=True)
    copy_version: Mapped[int] = mapped_column(Integer, default=0)
    """Raised on every signed copy, so the node can reject a replayed older one."""
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"), default=None)
    """The room it watches."""
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True, default=None)
    """SHA-256 of the node's own secret token (node-to-central authentication); the token is shown once."""


class Zone(Base):
    """A named area of one camera's view (bed, floor, door) as a polygon of view fractions (JSON)."""

    __tablename__ = "zone"
    __table_args__ = (UniqueConstraint("node_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[str] = mapped_column(ForeignKey("camera_node.node_id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), server_default="floor")
    """`bed`, `floor`, `door` or `chair`: what the node's rules make of it."""
    polygon: Mapped[str] = mapped_column(Text)
