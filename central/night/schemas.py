"""Request and response bodies of the night's API: tonight and outcomes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, Field

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
