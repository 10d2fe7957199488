"""One recipient's check-ins of a night as `/recipients/{id}/checkins` lists them: tonight's `Slot`s with the policy's
verdict in words. A view of `central.night.slots`, not a second planner.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from central.night.slots import CheckInState, Slot, night_slots
from nattvakt.night import night_bounds, night_of
from nattvakt.types import Action
from privacy.consent_model import Consent
from privacy.consent_policy import decide


class CheckIn(BaseModel):
    """One check-in of a night, with whether consent allows a camera look-in for it."""

    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    """The agreed moment (UTC): the check-in's identity."""
    start: AwareDatetime
    """Earliest moment of the window (UTC)."""
    end: AwareDatetime
    """End of the window (UTC, exclusive)."""
    state: CheckInState
    allowed: bool
    """Whether consent allows a camera look-in for it (not paused, expired, withdrawn; inside a window)."""
    reason_text: str
    relook: bool = False


def checkins_of(consent: Consent | None, slots: Sequence[Slot]) -> list[CheckIn]:
    if consent is None:
        return []
    return [CheckIn(at=s.slot_at, start=s.start, end=s.end, state=s.state, allowed=s.camera_allowed,
                    reason_text=decide(consent, s.slot_at, Action.SCHEDULED_LOOKIN).reason_text,
                    relook=s.relook_of is not None) for s in slots]


def checkins_for_night(consent: Consent | None, night: date) -> list[CheckIn]:
    """The planned check-ins of the night beginning on `night`, as seen from its start, in time order."""
    if consent is None:
        return []
    return checkins_of(consent, night_slots(consent, night, night_bounds(night, consent.zone)[0]))


def tonights_checkins(consent: Consent | None, now: datetime) -> list[CheckIn]:
    """The check-ins of the night holding `now` (in the consent's time zone)."""
    if consent is None:
        return []
    night = night_of(now, consent.zone)
    return checkins_of(consent, night_slots(consent, night, now))
