"""Tonight's check-ins, and documenting what staff found at a check-in or an event."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status
from sqlalchemy.orm import Session

from central.dependencies import CareStaffDep, DbDep, EventId, FeedDep, NightQuery, SettingsDep, found
from central.events.feed import EventFeed
from central.lookins.offer import offer_now
from central.lookins.schemas import LookinOffer
from central.night import service
from central.night.schemas import (
    CheckInOutcomeIn,
    EventOutcomeIn,
    OutcomeOut,
    OutcomeRecorded,
    RecipientTonight,
    SlotOut,
    TonightOut,
)
from central.night.slots import Slot
from central.visits import service as visits
from nattvakt.night import night_of

router = APIRouter(prefix="/api", tags=["tonight"])


def slot_out(slot: Slot, lookin: LookinOffer) -> SlotOut:
    documented = slot.outcome
    return SlotOut(
        slot_at=slot.slot_at, start=slot.start, end=slot.end, state=slot.state, skip_reason=slot.skip_reason,
        relook_of=slot.relook_of, camera_allowed=slot.camera_allowed,
        outcome=OutcomeOut(outcome=documented.outcome, staff=documented.staff, recorded_at=documented.recorded_at,
                           note=documented.note) if documented else None,
        lookin=lookin,
    )


def _offer(db: Session, feed: EventFeed, recipient_id: int, slot: Slot, now: datetime) -> LookinOffer:
    """As opening a look-in would decide now; a window that is not open needs no asking."""
    if not slot.start <= now < slot.end:
        return LookinOffer(allowed=False, code="outside_window")
    return offer_now(db, feed, recipient_id=recipient_id, checkin_at=slot.slot_at)


@router.get("/tonight")
def tonight(db: DbDep, settings: SettingsDep, feed: FeedDep, _staff: CareStaffDep, night: NightQuery = None
            ) -> TonightOut:
    """Every recipient's check-ins of the night, with their states (due, overdue, done, skipped…) as of now, and
    whether a look-in is allowed now."""
    now = datetime.now(UTC)
    which = night or night_of(now, settings.central.home_zone)
    nights = service.night_of_recipients(db, which, now, service.relook_after(settings))
    return TonightOut(
        night=which, now=now, relook_after_min=settings.central.relook_after_min,
        recipients=[RecipientTonight(id=n.recipient.id, name=n.recipient.name, room=n.recipient.room,
                                     slots=[slot_out(s, _offer(db, feed, n.recipient.id, s, now)) for s in n.slots])
                    for n in nights],
    )


@router.post("/checkins/outcome", status_code=status.HTTP_201_CREATED)
def document_checkin(body: CheckInOutcomeIn, db: DbDep, settings: SettingsDep, staff: CareStaffDep) -> OutcomeRecorded:
    """Document a check-in of the current night; `not_visible` brings it back as a re-look later."""
    recipient = found(db, body.recipient_id)
    now = datetime.now(UTC)
    night = night_of(now, settings.central.home_zone)
    slots = service.night_of_recipient(db, recipient, night, now, service.relook_after(settings))
    slot = next((s for s in slots if s.slot_at == body.slot_at), None)
    if slot is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"slot_at: care recipient {recipient.id} has no check-in at {body.slot_at.isoformat()} "
                            "tonight")
    if slot.state == "skipped":
        raise HTTPException(status.HTTP_409_CONFLICT, f"that check-in is skipped ({slot.skip_reason})")
    row = service.record_checkin_outcome(db, recipient, night, slot, body.outcome, body.note, staff.username)
    visits.checkin_documented(db, recipient, night, slot, slots, body.outcome, row.id)
    return OutcomeRecorded(id=row.id, outcome=body.outcome, staff=row.staff, recorded_at=row.recorded_at)


@router.post("/events/{event_id}/outcome", status_code=status.HTTP_201_CREATED)
def document_event(body: EventOutcomeIn, feed: FeedDep, db: DbDep, settings: SettingsDep, staff: CareStaffDep,
                   event_id: str = EventId) -> OutcomeRecorded:
    """Document what staff found at an event (it stays in the night report)."""
    item = feed.get(event_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no recent event with id {event_id!r}")
    e = item.event
    row = service.record_event_outcome(db, e.id, e.kind, e.room, e.node, e.started_at, body.outcome, body.note,
                                       staff.username, settings.central.home_zone)
    visits.event_documented(db, row.recipient_id, row.room, row.night, body.outcome, row.id)
    return OutcomeRecorded(id=row.id, outcome=body.outcome, staff=row.staff, recorded_at=row.recorded_at)
