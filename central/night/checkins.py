"""The consented check-ins of one night with the policy's verdict on each: what `/recipients/{id}/checkins` lists.

Planned by `nattvakt.night` from the consent's windows alone (the staff's own schedule is `central.night.slots`).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from nattvakt.night import night_of, windows_of_night
from nattvakt.types import Action
from privacy.consent_model import Consent, ScheduledWindow
from privacy.consent_policy import decide


class CheckIn(BaseModel):
    """One scheduled look-in of a night, with whether consent allows it."""

    model_config = ConfigDict(frozen=True)

    window: ScheduledWindow
    at: AwareDatetime
    """The agreed moment (UTC)."""
    start: AwareDatetime
    """Earliest moment of the window (UTC)."""
    end: AwareDatetime
    """End of the window (UTC, exclusive)."""
    allowed: bool
    """Whether consent allows it (not paused, not expired, not withdrawn)."""
    reason_text: str


def checkins_for_night(consent: Consent | None, night: date) -> list[CheckIn]:
    """Scheduled look-ins of the night beginning on `night`, in time order, each with the policy's verdict."""
    if consent is None:
        return []
    result = []
    for placed in windows_of_night(consent.scope.scheduled, night, consent.zone):
        verdict = decide(consent, placed.at, Action.SCHEDULED_LOOKIN)
        result.append(CheckIn(window=placed.window, at=placed.at, start=placed.start, end=placed.end,
                              allowed=verdict.allowed, reason_text=verdict.reason_text))
    return result


def tonights_checkins(consent: Consent | None, now: datetime) -> list[CheckIn]:
    """The scheduled look-ins of the night holding `now` (in the consent's time zone)."""
    if consent is None:
        return []
    return checkins_for_night(consent, night_of(now, consent.zone))
