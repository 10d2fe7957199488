"""Request and response bodies of the night's API: tonight, outcomes and schedules."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from central.lookins.schemas import LookinOffer
from central.night.slots import CheckInState, OutcomeKind


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
    lookin: LookinOffer
    """Whether "Titta in" may be offered for it now (its window open, consent allowing it now, a camera)."""


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
