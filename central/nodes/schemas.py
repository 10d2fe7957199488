"""Request and response bodies of rooms, node tokens and zones."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

Point = tuple[float, float]


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


class ZoneIn(BaseModel):
    name: str = Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$")
    polygon: list[Point] = Field(min_length=3, max_length=32)
    """Corners as [x, y] fractions 0-1 of the view."""

    @field_validator("polygon")
    @classmethod
    def _inside_view(cls, value: list[Point]) -> list[Point]:
        for x, y in value:
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError(f"corner {[x, y]} is outside the view; corners are fractions 0-1")
        return value


class ZonesIn(BaseModel):
    zones: list[ZoneIn] = Field(max_length=16)

    @field_validator("zones")
    @classmethod
    def _unique(cls, value: list[ZoneIn]) -> list[ZoneIn]:
        names = [z.name for z in value]
        if len(names) != len(set(names)):
            raise ValueError(f"zone names must be unique, got {names}")
        return value


class NodeSelfOut(BaseModel):
    """What a node learns about itself with its own token."""

    node_id: str
    room: str | None
    recipient_id: int | None
    zones: list[ZoneIn]


class NodeStatus(BaseModel):
    node: str
    last_seen: datetime
