"""Request and response bodies of the escalation's API: units' chains, contact, calls, visits, figures."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from central.visits.policy import CallOutcome, EscalationPolicy
from central.visits.service import VisitCause, VisitOutcome, VisitState

PHONE = r"^\+?[0-9 ()-]{0,31}$"


class UnitOut(BaseModel):
    name: str
    policy: EscalationPolicy


class ContactIn(BaseModel):
    phone: str = Field("", max_length=32, pattern=PHONE)
    """The number staff call at night (digits, spaces, +, -, parentheses)."""
    unit: str | None = Field(None, min_length=1, max_length=64)
    """The care unit whose chain applies; None: the default chain."""


class ContactOut(BaseModel):
    recipient_id: int
    phone: str
    unit: str | None


class CallOut(BaseModel):
    id: int
    recipient_id: int
    name: str
    room: str
    phone: str
    """Empty when the recipient's record has no number: the call cannot be made, say so."""
    chain_at: datetime
    due_at: datetime
    outcome: CallOutcome | None
    outcome_at: datetime | None
    staff: str | None


class CallOutcomeIn(BaseModel):
    outcome: CallOutcome
    note: str = Field("", max_length=500)


class VisitOut(BaseModel):
    id: int
    recipient_id: int | None
    name: str
    room: str
    cause: VisitCause
    cause_at: datetime
    promise_at: datetime
    promise_min: float
    state: VisitState
    on_way_at: datetime | None
    arrived_at: datetime | None
    done_at: datetime | None
    outcome: VisitOutcome | None
    late: bool
    """Past the promise: arrived after it, or not there yet and the promise has passed."""


class CallDone(BaseModel):
    call: CallOut
    next_call: CallOut | None = None
    visit: VisitOut | None = None
    """What the outcome led to; both None: the chain is closed."""


class VisitMarkIn(BaseModel):
    outcome: VisitOutcome | None = None
    """Needed for "klar"."""
    note: str = Field("", max_length=500)


class TasksOut(BaseModel):
    night: date
    now: datetime
    calls: list[CallOut]
    visits: list[VisitOut]
