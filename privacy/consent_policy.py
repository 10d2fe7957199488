"""The consent policy: one pure function from (consent, now, action, reason) to a decision. Default deny.

Central calls it before offering a look-in; the node calls it again, on its own signed copy, before sending a frame.
An allowed look-in's `max_duration` ends no later than the consented maximum, the end of the scheduled window, the
start of the next pause and the end of validity, so the whole look-in lies inside what was consented.

Daylight saving: a scheduled time is local wall-clock time on each night. A time that does not exist (02:30 on the
spring-forward night) is read with the offset before the gap, i.e. it happens at 03:30 new time; a time that occurs
twice (02:30 on the fall-back night) happens once, at its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from nattvakt.types import Action, PrivacyLevel
from privacy.consent_model import Consent, ScheduledWindow

NIGHT_STARTS = time(12, 0)
"""A 'night' runs from local noon to the next local noon, so one night's look-ins stay on one list."""


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


def _deny(consent: Consent | None, code: str, text: str) -> Decision:
    version = consent.version if consent else None
    return Decision(allowed=False, level=None, max_duration=timedelta(0), code=code, reason_text=text,
                    consent_version=version)


def window_interval(consent: Consent, window: ScheduledWindow, night_date: date) -> tuple[datetime, datetime, datetime]:
    """(start, at, end) in absolute time of `window` on local date `night_date`."""
    at = datetime.combine(night_date, window.at, tzinfo=consent.zone)  # fold=0: see the module docstring
    at_utc = at.astimezone(UTC)
    width = timedelta(minutes=window.window_min)
    return at_utc - width, at_utc, at_utc + width


def _open_window(consent: Consent, now: datetime) -> tuple[ScheduledWindow, datetime] | None:
    """The scheduled window containing `now`, and its end."""
    today = now.astimezone(consent.zone).date()
    for night_date in (today - timedelta(days=1), today, today + timedelta(days=1)):
        for window in consent.scope.scheduled:
            start, _at, end = window_interval(consent, window, night_date)
            if start <= now < end:
                return window, end
    return None


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
        found = _open_window(consent, now)
        if found is None:
            return _deny(consent, "outside_window", "outside every consented look-in window")
        window, window_end = found
        lookin_end = min(lookin_end, window_end)
        text = f"scheduled look-in {window.label()} consented"
    if end is not None:
        lookin_end = min(lookin_end, end)
    return Decision(allowed=True, level=scope.privacy_level, max_duration=lookin_end - now, code="allowed",
                    reason_text=text, consent_version=consent.version)


def night_of(now: datetime, consent: Consent) -> date:
    """The local date on which the night containing `now` began (nights run noon to noon)."""
    local = now.astimezone(consent.zone)
    return local.date() if local.time() >= NIGHT_STARTS else local.date() - timedelta(days=1)


def checkins_for_night(consent: Consent | None, night_date: date) -> list[CheckIn]:
    """Scheduled look-ins of the night beginning on `night_date`, in time order, each with the policy's verdict."""
    if consent is None:
        return []
    zone = consent.zone
    night_start = datetime.combine(night_date, NIGHT_STARTS, tzinfo=zone)
    night_end = datetime.combine(night_date + timedelta(days=1), NIGHT_STARTS, tzinfo=zone)
    result: list[CheckIn] = []
    for day in (night_date, night_date + timedelta(days=1)):
        for window in consent.scope.scheduled:
            start, at, end = window_interval(consent, window, day)
            if not night_start <= at < night_end:
                continue
            verdict = decide(consent, at, Action.SCHEDULED_LOOKIN)
            result.append(CheckIn(window=window, at=at, start=start, end=end, allowed=verdict.allowed,
                                  reason_text=verdict.reason_text))
    return sorted(result, key=lambda c: c.at)


def tonights_checkins(consent: Consent | None, now: datetime) -> list[CheckIn]:
    """The scheduled look-ins of the night containing `now` (what the console lists)."""
    if consent is None:
        return []
    return checkins_for_night(consent, night_of(now, consent))
