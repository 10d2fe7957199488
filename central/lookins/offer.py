"""What a look-in would point at, and whether consent allows one now: shared by opening a look-in and by the lists
that offer "Titta in" (the event feed and tonight's check-ins), so a button is offered only where opening would pass
central's checks, and elsewhere the page can say why not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import HTTPException
from sqlalchemy.orm import Session

from central.consent import service
from central.dependencies import found
from central.events.feed import EventFeed
from central.lookins.schemas import LookinOffer
from central.nodes.models import CameraNode
from nattvakt.night import night_of, windows_of_night
from nattvakt.types import Action
from privacy.consent_policy import decide


@dataclass(frozen=True)
class Target:
    node_id: str
    recipient_id: int
    room: str
    action: Action
    reason: str
    event_id: str | None


def refusal(status_code: int, code: str, text: str) -> HTTPException:
    return HTTPException(status_code, text, headers={"X-Lookin-Refusal": code})


def target_of(db: Session, feed: EventFeed, event_id: str | None, recipient_id: int | None,
              checkin_at: datetime | None) -> Target:
    """What the reason (an event, or a recipient's check-in) points at, or a refusal naming what is wrong with it."""
    if event_id is not None:
        item = feed.get(event_id)
        if item is None:
            raise refusal(404, "no_event", f"no open event with id {event_id!r}")
        if item.acknowledged_by:
            raise refusal(409, "event_acknowledged", f"event {event_id} was already acknowledged")
        if item.event.state == "ended":
            raise refusal(409, "event_ended", f"event {event_id} has ended")
        node = db.get(CameraNode, item.event.node)
        if node is None or node.recipient_id is None:
            raise refusal(409, "node_unassigned", f"camera {item.event.node} watches no care recipient")
        return Target(node.node_id, node.recipient_id, item.event.room, Action.EVENT_LOOKIN, item.event.kind,
                      event_id)
    assert recipient_id is not None and checkin_at is not None
    recipient = found(db, recipient_id)
    now = datetime.now(UTC)
    consent = service.current_consent(db, recipient_id)
    windows = windows_of_night(consent.scope.scheduled, night_of(now, consent.zone), consent.zone) if consent else []
    # The console's slot may be planned anywhere inside a consented window (the recipient's own schedule).
    slot = next((w for w in windows if w.start <= checkin_at < w.end), None)
    if slot is None:
        raise refusal(404, "no_checkin", f"no consented check-in window holds {checkin_at.isoformat()} tonight")
    if not slot.start <= now < slot.end:
        raise refusal(409, "outside_window", f"the check-in window {slot.window.label()} is not open now")
    nodes = service.nodes_of(db, recipient_id)
    if not nodes:
        raise refusal(409, "no_camera", f"care recipient {recipient_id} has no camera")
    return Target(nodes[0], recipient_id, recipient.room, Action.SCHEDULED_LOOKIN, "", None)


def offer_now(db: Session, feed: EventFeed, *, event_id: str | None = None, recipient_id: int | None = None,
              checkin_at: datetime | None = None) -> LookinOffer:
    """Whether a look-in asked for now would pass central's checks (the camera may still be busy or away)."""
    try:
        target = target_of(db, feed, event_id, recipient_id, checkin_at)
    except HTTPException as exc:
        return LookinOffer(allowed=False, code=(exc.headers or {}).get("X-Lookin-Refusal", "refused"))
    decision = decide(service.current_consent(db, target.recipient_id), datetime.now(UTC), target.action,
                      target.reason)
    return LookinOffer(allowed=decision.allowed, code=decision.code)
