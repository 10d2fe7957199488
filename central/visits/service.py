"""The escalation's tasks: calls the chain makes, visits and what makes them, and closing both (outcome, marks).

Every task is made at most once per cause (a unique key: the chain's check-in and step for a call, the cause for a
visit), so two staff documenting at once, or two central instances seeing one event, make one task.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Literal, TypeVar, get_args

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from central.consent import service as consent_service
from central.consent.models import Recipient
from central.db import aware
from central.night.slots import RELOOK_OUTCOME, OutcomeKind, Slot
from central.nodes.models import CameraNode
from central.visits.errors import EscalationError, TaskNotFoundError
from central.visits.models import CallTask, RecipientContact, VisitTask
from central.visits.policy import CallOutcome, EscalationPolicy, after_call, step_at
from central.visits.units import policy_for
from nattvakt.events import Event
from nattvakt.night import night_of
from nattvakt.types import Action
from privacy.consent_policy import decide

VisitCause = Literal["no_answer", "needs_help", "needs_visit", "not_visible", "on_floor", "camera_fault",
                     "node_offline"]
VISIT_CAUSES: tuple[VisitCause, ...] = get_args(VisitCause)
VisitState = Literal["open", "on_way", "arrived", "done"]
VisitOutcome = Literal["all_well", "helped", "nurse_called"]
VISIT_OUTCOMES: tuple[VisitOutcome, ...] = get_args(VisitOutcome)
Mark = Literal["on_way", "arrived", "done"]
EVENT_CAUSES: frozenset[str] = frozenset({"on_floor", "camera_fault", "node_offline"})
"""Event kinds that send the patrol at once (a camera out only while a check-in by camera was due)."""
CAMERA_OUT: frozenset[str] = frozenset({"camera_fault", "node_offline"})
EVENT_TOO_OLD = timedelta(hours=12)
"""An event older than this when central first sees it (a stream read again after a restart) makes no visit."""
T = TypeVar("T", CallTask, VisitTask)
_NEXT: dict[Mark, tuple[VisitState, ...]] = {"on_way": ("open",), "arrived": ("open", "on_way"),
                                             "done": ("arrived",)}
"""From which states each mark may be made: arriving without saying "på väg" first is fine; done needs arrival."""


# --- making tasks --------------------------------------------------------------------------------------------------

def _insert_once(db: Session, row: T, existing: Select[T]) -> T:
    """Add `row` unless its unique key is taken (here, or by a writer racing us); the row that stands is returned."""
    found = db.scalars(existing).first()
    if found is not None:
        return found
    db.add(row)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        found = db.scalars(existing).first()
        if found is None:
            raise
        return found
    return row


def make_visit(db: Session, recipient_id: int | None, room: str, cause: VisitCause, cause_ref: str,
               cause_at: datetime, night: date) -> VisitTask:
    """A visit for one cause (made once), due `promise_min` of the recipient's unit after the cause."""
    policy = policy_for(db, recipient_id)
    now = datetime.now(UTC)
    row = VisitTask(recipient_id=recipient_id, night=night, room=room, cause=cause, cause_ref=cause_ref,
                    cause_at=cause_at, promise_min=policy.promise_min,
                    promise_at=cause_at + timedelta(minutes=policy.promise_min), created_at=now, state="open", note="")
    return _insert_once(db, row, select(VisitTask).where(VisitTask.cause_ref == cause_ref))


def _make_call(db: Session, recipient: Recipient, night: date, chain_at: datetime, step: str,
               policy: EscalationPolicy, now: datetime) -> CallTask:
    contact = db.get(RecipientContact, recipient.id)
    row = CallTask(recipient_id=recipient.id, night=night, room=recipient.room, phone=contact.phone if contact else "",
                   chain_at=chain_at, step=step, policy=policy.model_dump_json(), created_at=now,
                   due_at=now + timedelta(minutes=policy.steps[step].within_min), note="")
    return _insert_once(db, row, select(CallTask).where(
        CallTask.recipient_id == recipient.id, CallTask.chain_at == chain_at, CallTask.step == step))


def checkin_documented(db: Session, recipient: Recipient, night: date, slot: Slot, slots: Sequence[Slot],
                       outcome: OutcomeKind, outcome_id: int) -> CallTask | VisitTask | None:
    """What a documented check-in (or re-look) starts: "behöver besök" a visit at once; a "not visible" the step of
    the unit's chain it has come to (a re-look is the night's own, a call or a visit is made here)."""
    now = datetime.now(UTC)
    if outcome == "needs_visit":
        return make_visit(db, recipient.id, recipient.room, "needs_visit", f"outcome:{outcome_id}", now, night)
    if outcome != RELOOK_OUTCOME:
        return None
    chain_at = slot.relook_of or slot.slot_at
    earlier = [s for s in slots if (s.slot_at == chain_at or s.relook_of == chain_at) and s.slot_at != slot.slot_at
               and s.outcome is not None and s.outcome.outcome == RELOOK_OUTCOME]
    policy = policy_for(db, recipient.id)
    name = step_at(policy, len(earlier) + 1)
    assert name is not None
    step = policy.steps[name]
    if step.action == "call":
        return _make_call(db, recipient, night, chain_at, name, policy, now)
    if step.action == "visit":
        return make_visit(db, recipient.id, recipient.room, "not_visible",
                          f"chain:{recipient.id}:{chain_at.isoformat()}", now, night)
    return None


def event_documented(db: Session, recipient_id: int | None, room: str, night: date, outcome: OutcomeKind,
                     outcome_id: int) -> VisitTask | None:
    """An event documented "behöver besök" sends the patrol at once."""
    if outcome != "needs_visit":
        return None
    return make_visit(db, recipient_id, room, "needs_visit", f"outcome:{outcome_id}", datetime.now(UTC), night)


def event_seen(db: Session, event: Event, now: datetime) -> VisitTask | None:
    """A fall, or a camera out while a check-in by camera was due, sends the patrol at once (once per event)."""
    if event.kind not in EVENT_CAUSES or now - event.started_at > EVENT_TOO_OLD:
        return None
    node = db.get(CameraNode, event.node)
    recipient_id = node.recipient_id if node is not None else None
    consent = consent_service.current_consent(db, recipient_id) if recipient_id is not None else None
    if event.kind in CAMERA_OUT and (
            consent is None or not decide(consent, event.started_at, Action.SCHEDULED_LOOKIN).allowed):
        return None  # no camera check-in was due then: nothing is missed
    zone = consent.zone if consent is not None else UTC
    cause: VisitCause = event.kind  # type: ignore[assignment]
    return make_visit(db, recipient_id, event.room, cause, f"event:{event.id}", event.started_at,
                      night_of(event.started_at, zone))  # type: ignore[arg-type]


# --- closing tasks -------------------------------------------------------------------------------------------------

def call_answered(db: Session, call_id: int, outcome: CallOutcome, note: str, staff: str
                  ) -> tuple[CallTask, CallTask | VisitTask | None]:
    """Record a call's outcome; returns the call and what it led to (another call, a visit, or None: closed)."""
    call = db.get(CallTask, call_id)
    if call is None:
        raise TaskNotFoundError(f"no call task with id {call_id}")
    if call.outcome is not None:
        raise EscalationError(f"call {call_id} is already documented ({call.outcome}, by {call.staff})")
    now = datetime.now(UTC)
    call.outcome, call.outcome_at, call.staff, call.note = outcome, now, staff, note
    db.commit()
    policy = EscalationPolicy.model_validate_json(call.policy)
    target = after_call(policy, call.step, outcome)
    if target is None:
        return call, None
    if policy.steps[target].action == "call":
        recipient = db.get(Recipient, call.recipient_id)
        if recipient is None:
            raise TaskNotFoundError(f"care recipient {call.recipient_id} of call {call_id} no longer exists")
        return call, _make_call(db, recipient, call.night, aware(call.chain_at), target, policy, now)
    cause: VisitCause = "no_answer" if outcome == "no_answer" else "needs_help"
    return call, make_visit(db, call.recipient_id, call.room, cause, f"call:{call.id}", now, call.night)


def mark_visit(db: Session, visit_id: int, mark: Mark, staff: str, outcome: VisitOutcome | None = None,
               note: str = "") -> VisitTask:
    """På väg, framme, klar: each once, in turn; "klar" needs an outcome."""
    visit = db.get(VisitTask, visit_id)
    if visit is None:
        raise TaskNotFoundError(f"no visit task with id {visit_id}")
    if visit.state not in _NEXT[mark]:
        raise EscalationError(f"visit {visit_id} is {visit.state}: it cannot be marked {mark} now")
    if mark == "done" and outcome is None:
        raise EscalationError("outcome: say how the visit went to mark it done")
    now = datetime.now(UTC)
    if mark == "on_way":
        visit.on_way_at, visit.on_way_by = now, staff
    elif mark == "arrived":
        visit.arrived_at, visit.arrived_by = now, staff
    else:
        visit.done_at, visit.done_by, visit.outcome, visit.note = now, staff, outcome, note
    visit.state = mark
    db.commit()
    return visit


