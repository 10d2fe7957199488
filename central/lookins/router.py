"""Look-ins for a reason: central checks role, reason and consent (its half of "enforced twice"), relays the
browser's offer to the node and returns the node's answer; the node checks its own signed copy again before it sends
a frame. Every request and refusal is audited here; the start and stop as the node reports them (`lookins.hub`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from sqlalchemy.orm import Session, sessionmaker
from ulid import ULID

from central.audit import store as audit_store
from central.consent import service
from central.dependencies import CareStaffDep, SettingsDep
from central.events.feed import EventFeed
from central.lookins.hub import LiveLookin, NodeHub, NodeUnavailableError
from central.lookins.offer import Target, refusal, target_of
from central.lookins.schemas import LookinDecision, OpenLookinIn, OpenLookinOut
from nattvakt.lookin_protocol import Offer, Refused
from nattvakt.types import Action
from privacy.consent_policy import decide

router = APIRouter(prefix="/api/lookins", tags=["lookins"])
LookinId = Annotated[str, Path(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]


def _decided(s: Session, actor: str, recipient_id: int, lookin_id: str, action: Action, reason: str,
             event_id: str | None, extra: dict[str, object]) -> LookinDecision:
    """Ask the consent policy inside the caller's transaction and audit the answer, allowed or refused."""
    consent = service.current_consent(s, recipient_id)
    decision = decide(consent, datetime.now(UTC), action, reason)
    kind = "lookin_authorized" if decision.allowed else "lookin_refused"
    audit_store.append(s, kind, actor, recipient_id, {
        "lookin_id": lookin_id, "action": action.value, "reason": reason, "event_id": event_id, **extra,
        "code": decision.code, "reason_text": decision.reason_text, "level": decision.level,
        "max_duration_s": decision.max_duration.total_seconds(), "consent_version": decision.consent_version,
    })
    return LookinDecision(
        lookin_id=lookin_id, allowed=decision.allowed, level=decision.level,
        max_duration_s=decision.max_duration.total_seconds(), code=decision.code,
        reason_text=decision.reason_text, consent_version=decision.consent_version,
    )


def _decide_and_audit(sessions: sessionmaker[Session], feed: EventFeed, body: OpenLookinIn, staff: str,
                      lookin_id: str) -> tuple[Target, LookinDecision]:
    with sessions() as db:
        try:
            target = target_of(db, feed, body.event_id, body.recipient_id, body.checkin_at)
        except HTTPException as exc:
            audit_store.record(db, "lookin_refused", staff, body.recipient_id, {
                "lookin_id": lookin_id, "event_id": body.event_id, "code": (exc.headers or {}).get("X-Lookin-Refusal"),
                "reason_text": exc.detail, "checkin_at": body.checkin_at.isoformat() if body.checkin_at else None,
            })
            raise

        return target, audit_store.commit_with_retry(db, lambda s: _decided(
            s, staff, target.recipient_id, lookin_id, target.action, target.reason, target.event_id,
            {"node_id": target.node_id, "room": target.room}))


@router.post("", status_code=status.HTTP_201_CREATED)
async def open_lookin(body: OpenLookinIn, request: Request, staff: CareStaffDep) -> OpenLookinOut:
    """Open a look-in for a reason: check role and consent, relay the browser's offer, return the node's answer."""
    hub: NodeHub = request.app.state.lookin_hub
    feed: EventFeed = request.app.state.feed
    sessions: sessionmaker[Session] = request.app.state.sessionmaker
    lookin_id = str(ULID())
    username = staff.username
    target, decision = await asyncio.to_thread(_decide_and_audit, sessions, feed, body, username, lookin_id)
    lookin = LiveLookin(lookin_id, target.node_id, target.recipient_id, username, target.room, target.action.value,
                        target.reason, target.event_id)

    async def refused(status_code: int, code: str, text: str) -> HTTPException:
        await hub.audit("lookin_refused", lookin, {"code": code, "reason_text": text, "by": "central"})
        return refusal(status_code, code, text)

    if not decision.allowed or decision.level is None:
        raise refusal(403, decision.code, decision.reason_text)
    if hub.viewers(target.node_id) >= hub.max_viewers(target.node_id):
        raise await refused(409, "busy", f"someone is already looking in on room {target.room}")
    offer = Offer(lookin_id=lookin_id, sdp=body.sdp, action=target.action, reason=target.reason,
                  event_id=target.event_id, level=decision.level, max_duration_s=decision.max_duration_s,
                  staff=username)
    try:
        reply = await hub.relay(lookin, offer)
    except NodeUnavailableError as exc:
        raise await refused(503, "node_unreachable", str(exc)) from exc
    if isinstance(reply, Refused):
        await hub.audit("lookin_refused", lookin, {"code": reply.code, "reason_text": reply.text, "by": "node"})
        status_code = 422 if reply.code == "bad_sdp" else 403
        raise refusal(status_code, reply.code, f"the camera refused: {reply.text}")
    return OpenLookinOut(lookin_id=lookin_id, sdp=reply.sdp, level=reply.level, max_duration_s=reply.max_duration_s,
                         room=target.room, reason_text=decision.reason_text)


@router.get("/ice-servers")
def ice_servers(settings: SettingsDep, _staff: CareStaffDep) -> list[dict[str, object]]:
    """STUN/TURN servers for the browser's peer connection (RTCIceServer dictionaries); empty on a LAN."""
    return [{"urls": list(server.urls),
             **({"username": server.username} if server.username else {}),
             **({"credential": server.credential.get_secret_value()} if server.credential else {})}
            for server in settings.central.ice_servers]


@router.get("/{lookin_id}/state")
async def lookin_state(lookin_id: LookinId, request: Request, _staff: CareStaffDep) -> dict[str, object]:
    """Whether a look-in is still live, and if not, why it ended (the console polls this while it shows one)."""
    hub: NodeHub = request.app.state.lookin_hub
    if lookin_id in hub.lookins:
        return {"lookin_id": lookin_id, "live": True}
    return {"lookin_id": lookin_id, "live": False, "why": hub.ended.get(lookin_id, "unknown")}


@router.post("/{lookin_id}/close", status_code=status.HTTP_202_ACCEPTED)
async def close_lookin(lookin_id: LookinId, request: Request, _staff: CareStaffDep) -> dict[str, str]:
    """Staff close a live look-in (the "Stäng" button, or the page's pagehide beacon); the node stops at once and
    reports the stop for the audit trail. Closing one that already ended (its time was up a moment before, the
    camera ended it) is no error: the answer says it ended, and why."""
    hub: NodeHub = request.app.state.lookin_hub
    if await hub.close(lookin_id, "closed"):
        return {"lookin_id": lookin_id, "status": "closing"}
    if lookin_id in hub.ended:
        return {"lookin_id": lookin_id, "status": "ended", "why": hub.ended[lookin_id]}
    raise HTTPException(status.HTTP_404_NOT_FOUND, f"no look-in {lookin_id} on this console")
