"""The consent policy: one pure function from (consent, now, action, reason) to a decision. Default deny.

Central calls it before offering a look-in; the node calls it again, on its own signed copy, before sending a frame.
An allowed look-in's `max_duration` ends no later than the consented maximum, the end of the scheduled window, the
start of the next pause and the end of validity, so the whole look-in lies inside what was consented.

When a scheduled window is open, and what daylight saving does to it, is `nattvakt.night`'s to say.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from nattvakt.night import open_window
from nattvakt.types import Action, PrivacyLevel
from privacy.consent_model import Consent


class Decision(BaseModel):
    """The answer: allowed or not, at which level, for how long, and why in words."""

    model_config = ConfigDict(frozen=True)

    allowed: bool
    """Whether the action may go ahead."""
    level: PrivacyLevel | None
    """The privacy level staff see at the weakest; None when denied."""
    max_duration: timedelta
    """How long the permission holds from `now` (zero when denied)."""
    code: str
    """Machine-readable reason, e.g. `outside_window`, `paused`, `allowed`."""
    reason_text: str
    """The reason in words, for the console and the audit trail."""
    consent_version: int | None = None
    """The consent version the decision was made on."""


def _deny(consent: Consent | None, code: str, text: str) -> Decision:
    version = consent.version if consent else None
    return Decision(allowed=False, level=None, max_duration=timedelta(0), code=code, reason_text=text,
                    consent_version=version)


def _limits(consent: Consent, now: datetime) -> datetime | None:
    """The earliest moment after `now` at which the consent stops applying (expiry or the next pause)."""
    limits = [pause.start for pause in consent.pauses if pause.start > now]
    if consent.valid_until is not None:
        limits.append(consent.valid_until)
    return min(limits, default=None)


def decide(consent: Consent | None, now: datetime, action: Action | str, reason: str = "") -> Decision:
    """Decide whether `action` may happen at `now`; `reason` is the event kind for an event look-in."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must carry a time zone, got {now.isoformat()}")
    if consent is None:
        return _deny(None, "no_consent", "no consent on record")
    if consent.withdrawn_at is not None:
        return _deny(consent, "withdrawn", f"consent withdrawn at {consent.withdrawn_at.isoformat()}")
    if now < consent.valid_from:
        return _deny(consent, "not_yet_valid", f"consent applies from {consent.valid_from.isoformat()}")
    if consent.valid_until is not None and now >= consent.valid_until:
        return _deny(consent, "expired", f"consent expired at {consent.valid_until.isoformat()}")
    for pause in consent.pauses:
        if pause.covers(now):
            return _deny(consent, "paused", f"paused until {pause.end.isoformat()} (set by {pause.set_by})")
    try:
        wanted = Action(action)
    except ValueError:
        return _deny(consent, "unknown_action", f"unknown action {action!r}")

    scope = consent.scope
    end = _limits(consent, now)
    if wanted is Action.DETECTION:
        if not scope.detection:
            return _deny(consent, "detection_off", "detection is switched off in the consent")
        held = (end - now) if end else timedelta(days=1)
        return Decision(allowed=True, level=scope.privacy_level, max_duration=min(held, timedelta(days=1)),
                        code="allowed", reason_text="detection consented", consent_version=consent.version)

    lookin_end = now + timedelta(seconds=scope.max_lookin_s)
    if wanted is Action.EVENT_LOOKIN:
        if reason not in scope.event_kinds:
            return _deny(consent, "event_kind_not_consented", f"no consent for look-ins on {reason or 'no event'!r}")
        text = f"look-in on event {reason} consented"
    else:
        found = open_window(scope.scheduled, now, consent.zone)
        if found is None:
            return _deny(consent, "outside_window", "outside every consented look-in window")
        lookin_end = min(lookin_end, found.end)
        text = f"scheduled look-in {found.window.label()} consented"
    if end is not None:
        lookin_end = min(lookin_end, end)
    return Decision(allowed=True, level=scope.privacy_level, max_duration=lookin_end - now, code="allowed",
                    reason_text=text, consent_version=consent.version)
