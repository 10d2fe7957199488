"""Bodies of the look-in API (browser ↔ central)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from nattvakt.lookin_protocol import MAX_SDP_CHARS
from nattvakt.types import PrivacyLevel


class OpenLookinIn(BaseModel):
    """The browser's offer and the reason: an open event, or a due check-in (recipient and its scheduled moment)."""

    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)
    """The browser's SDP offer, with its candidates (non-trickle)."""
    event_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")
    recipient_id: int | None = Field(None, ge=1)
    checkin_at: AwareDatetime | None = None
    """The scheduled moment of the check-in (as the check-in list gives it)."""

    @model_validator(mode="after")
    def _one_reason(self) -> OpenLookinIn:
        checkin = self.recipient_id is not None and self.checkin_at is not None
        if (self.event_id is not None) == checkin:
            raise ValueError("give either event_id, or recipient_id and checkin_at (the reason for looking in)")
        return self


class OpenLookinOut(BaseModel):
    lookin_id: str
    sdp: str
    """The node's SDP answer."""
    level: PrivacyLevel
    max_duration_s: float
    room: str
    reason_text: str


class LookinDecision(BaseModel):
    lookin_id: str
    """Names this look-in in later start/stop records."""
    allowed: bool
    level: PrivacyLevel | None
    max_duration_s: float
    code: str
    reason_text: str
    consent_version: int | None


class LookinOffer(BaseModel):
    """Whether "Titta in" may be offered now, as the event feed and tonight's check-ins give it."""

    allowed: bool
    """A look-in asked for now would pass central's checks (the camera may still be busy or unreachable)."""
    code: str
    """`allowed`, or why not: the consent policy's code (`paused`, `event_kind_not_consented`, …) or the reason's
    (`event_ended`, `outside_window`, `node_unassigned`, …), as `X-Lookin-Refusal` names it when opening."""
