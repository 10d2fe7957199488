"""Request and response bodies of the night's API: tonight, outcomes, schedules, rooms, nodes, zones, staff."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from central.staff import Role
from central.tonight import CheckInState, OutcomeKind

Point = tuple[float, float]


class OutcomeOut(BaseModel):
    outcome: OutcomeKind
    staff: str
    recorded_at: datetime
    note: str


class SlotOut(BaseModel):
    slot_at: datetime
    """Identity of the check-in: send it back to document it."""
    start: datetime
    end: datetime
    state: CheckInState
    skip_reason: str | None
    relook_of: datetime | None
    camera_allowed: bool
    outcome: OutcomeOut | None


class RecipientTonight(BaseModel):
    id: int
    name: str
    room: str
    slots: list[SlotOut]


class TonightOut(BaseModel):
    night: date
    """Local date on which the night began."""
    now: datetime
    relook_after_min: float
    recipients: list[RecipientTonight]


class CheckInOutcomeIn(BaseModel):
    recipient_id: int = Field(ge=1)
    slot_at: AwareDatetime
    """The check-in's `slot_at` as tonight's list gave it."""
    outcome: OutcomeKind
    note: str = Field("", max_length=500)


class EventOutcomeIn(BaseModel):
    outcome: OutcomeKind
    note: str = Field("", max_length=500)


class OutcomeRecorded(BaseModel):
    id: int
    outcome: OutcomeKind
    staff: str
    recorded_at: datetime


class ScheduleIn(BaseModel):
    times: list[time] = Field(max_length=24)
    """Local check-in times; each must lie inside one of the recipient's consented windows. Empty: the windows."""

    @field_validator("times")
    @classmethod
    def _naive(cls, value: list[time]) -> list[time]:
        if any(t.tzinfo is not None for t in value):
            raise ValueError("check-in times are local wall-clock times; give them without a time zone")
        return sorted({t.replace(second=0, microsecond=0) for t in value})


class ScheduleOut(BaseModel):
    recipient_id: int
    times: list[str]
    """HH:MM, local; empty means the centre of every consented window."""


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


class StaffIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=256)
    role: Role
    display_name: str = Field("", max_length=128)


class StaffEntry(BaseModel):
    username: str
    display_name: str
    role: str
