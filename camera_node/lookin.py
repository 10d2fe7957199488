"""The node's look-in service: answers authorised offers itself deciding again, and owns the live sessions.

Central has already checked role and consent, but the node trusts only its own signed consent copy: an offer that
copy does not allow (no copy, a forged one that was refused, withdrawn, paused, outside the window, an event kind
not consented) is refused, whoever sent it. A look-in id is answered at most once, so a replayed offer is refused.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from aiortc import RTCConfiguration

from camera_node.lookin_session import BadOfferError, LookinSession
from camera_node.lookin_tap import OutgoingTap
from nattvakt.lookin_protocol import Answer, Offer, Refused, Started, Stopped
from nattvakt.types import Action
from privacy.consent_model import stronger_level
from privacy.consent_policy import Decision

log = logging.getLogger(__name__)
_SEEN_IDS = 10_000


class ConsentCheck(Protocol):
    """The node's own policy check (`camera_node.consent_sync.ConsentWatcher` is one)."""

    def decide(self, now: datetime, action: Action | str, reason: str = "") -> Decision: ...


class LookinService:
    """Answers offers and tracks sessions; `report` sends `Started`/`Stopped` to central."""

    def __init__(
        self, node_id: str, consent: ConsentCheck, tap: OutgoingTap, report: Callable[[Started | Stopped], None], *,
        max_viewers: int = 1, ice_timeout_s: float = 10.0, rtc: RTCConfiguration | None = None,
    ) -> None:
        self._node_id = node_id
        self._consent = consent
        self._tap = tap
        self._report = report
        self._max_viewers = max_viewers
        self._ice_timeout_s = ice_timeout_s
        self._rtc = rtc
        self._sessions: dict[str, LookinSession] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()

    @property
    def active(self) -> tuple[str, ...]:
        return tuple(self._sessions)

    def _refuse(self, offer: Offer, code: str, text: str) -> Refused:
        log.warning("%s: look-in %s refused (%s): %s", self._node_id, offer.lookin_id, code, text)
        return Refused(lookin_id=offer.lookin_id, code=code, text=text)

    def _decide(self, offer: Offer) -> Decision:
        return self._consent.decide(datetime.now(UTC), offer.action, offer.reason)

    async def handle_offer(self, offer: Offer) -> Answer | Refused:
        """Decide again on this node's own consent copy, then answer, or refuse with the reason."""
        if offer.lookin_id in self._seen:
            return self._refuse(offer, "replayed", f"look-in {offer.lookin_id} was already answered")
        self._seen[offer.lookin_id] = None
        while len(self._seen) > _SEEN_IDS:
            self._seen.popitem(last=False)
        if offer.action == Action.DETECTION:
            return self._refuse(offer, "not_a_lookin", "detection is not a look-in")
        if offer.action == Action.EVENT_LOOKIN and not offer.event_id:
            return self._refuse(offer, "no_reason", "an event look-in needs the event it is for")
        decision = self._decide(offer)
        if not decision.allowed or decision.level is None:
            return self._refuse(offer, decision.code, decision.reason_text)
        if len(self._sessions) >= self._max_viewers:
            return self._refuse(offer, "busy", f"this room already has {len(self._sessions)} viewer(s)")
        level = stronger_level(decision.level, offer.level) if offer.level else decision.level
        max_s = min(decision.max_duration.total_seconds(), offer.max_duration_s)
        session = LookinSession(
            offer, level, max_s, check=lambda: self._decide(offer), tap=self._tap,
            ice_timeout_s=self._ice_timeout_s, on_report=self._report, on_end=self._ended, rtc=self._rtc,
        )
        self._sessions[offer.lookin_id] = session
        try:
            sdp = await session.answer()
        except BadOfferError as exc:
            self._sessions.pop(offer.lookin_id, None)
            return self._refuse(offer, "bad_sdp", str(exc))
        log.info("%s: look-in %s answered at %s for at most %.0f s", self._node_id, offer.lookin_id, level, max_s)
        return Answer(lookin_id=offer.lookin_id, sdp=sdp, level=level, max_duration_s=max_s)

    def _ended(self, session: LookinSession) -> None:
        self._sessions.pop(session.lookin_id, None)

    def close(self, lookin_id: str, why: str) -> bool:
        """Central asks to end a look-in; returns whether it was live here."""
        session = self._sessions.get(lookin_id)
        if session is None:
            return False
        session.stop(why)
        return True

    async def stop(self) -> None:
        sessions = list(self._sessions.values())
        for session in sessions:
            session.stop("node_stopping")
        for session in sessions:
            await session.done.wait()
