"""Request and response bodies of rooms, node tokens and zones."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from nattvakt.settings import ZoneSettings


class RoomIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    recipient_id: int | None = Field(None, ge=1)


class RoomOut(BaseModel):
    id: int
    name: str
    recipient_id: int | None


class NodeTokenOut(BaseModel):
    node_id: str
    token: str
    """Shown once: configure it on the node. Only its hash is stored; a new one replaces the old."""


class ZonesIn(BaseModel):
    """A node's zones, checked as the node checks its own settings (in the view, not self-intersecting, named)."""

    zones: list[ZoneSettings] = Field(max_length=16)

    @field_validator("zones")
    @classmethod
    def _unique(cls, value: list[ZoneSettings]) -> list[ZoneSettings]:
        names = [z.name for z in value]
        if len(names) != len(set(names)):
            raise ValueError(f"zone names must be unique, got {names}")
        return value


class ZonesSaved(ZonesIn):
    delivered: bool
    """Whether the node's control channel took them now (else it gets them when it next connects)."""


class NodeSelfOut(BaseModel):
    """What a node learns about itself with its own token."""

    node_id: str
    room: str | None
    recipient_id: int | None
    zones: list[ZoneSettings]


class NodeStatus(BaseModel):
    node: str
    last_seen: datetime
