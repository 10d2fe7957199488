"""Tonight's check-ins of one recipient and their states: pure functions of (consent, tonight's plan, outcomes, now).

The consented look-in windows are the schedule: a check-in is one consented window of the night, planned at its
centre, and the window is when staff should do it. Tonight's plan is the windows in force when the night began (a
change of windows applies from the next night); what the camera may do, and withdrawals, pauses and expiry, follow
the newest consent at once. A documented check-in stays on the night whatever changed since. Its state:
`upcoming` before the window, `due` inside it, `overdue` after it, `done` once an outcome is documented, and
`skipped` when consent does not allow it then (a pause by the recipient, expiry, withdrawal).

Re-look rule (municipal practice): when staff document `not_visible`, the person must be looked at again
`relook_after` later; that re-look is a check-in of its own (due for as long as the original window was wide),
and it can lead to another. Nights, windows and planned moments (daylight saving included) are `nattvakt.night`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal, get_args

from nattvakt.night import PlannedSlot, Window, planned_slots
from nattvakt.types import Action
from privacy.consent_model import Consent
from privacy.consent_policy import decide

OutcomeKind = Literal[
    "sleeping", "awake_calm", "needs_visit", "visited", "not_visible", "camera_failed_visit", "false_alarm"
]
OUTCOMES: tuple[OutcomeKind, ...] = get_args(OutcomeKind)
CheckInState = Literal["upcoming", "due", "overdue", "done", "skipped"]
RELOOK_OUTCOME: OutcomeKind = "not_visible"


@dataclass(frozen=True, slots=True)
class Documented:
    """One documented outcome of a check-in."""

    slot_at: datetime
    """The scheduled moment of the check-in it belongs to (UTC)."""
    outcome: OutcomeKind
    recorded_at: datetime
    staff: str
    note: str = ""
    window_start: datetime | None = None
    """The window it was documented in (kept so the record outlives a later change of consent)."""
    window_end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Slot:
    """One check-in of the night as the console shows it."""

    slot_at: datetime
    """Its identity and planned moment (UTC): documenting names it."""
    start: datetime
    """When it becomes due (UTC)."""
    end: datetime
    """When it becomes overdue (UTC, exclusive)."""
    state: CheckInState
    skip_reason: str | None = None
    """The consent policy's code when skipped (`paused` means the recipient paused the camera)."""
    relook_of: datetime | None = None
    """For a re-look: the check-in whose person was not visible."""
    outcome: Documented | None = None
    """The latest documented outcome."""
    camera_allowed: bool = False
    """Whether consent allows a camera look-in at the planned moment (else the check-in is a visit)."""


def _latest(outcomes: Sequence[Documented], slot_at: datetime) -> Documented | None:
    mine = [o for o in outcomes if o.slot_at == slot_at]
    return max(mine, key=lambda o: o.recorded_at) if mine else None


def relook_moment(outcome: Documented, relook_after: timedelta) -> datetime:
    """When the person not seen must be looked at again (whole seconds: it becomes the re-look's identity)."""
    return (outcome.recorded_at + relook_after).astimezone(UTC).replace(microsecond=0)


def _slot(consent: Consent, slot_at: datetime, start: datetime, end: datetime, now: datetime,
          outcomes: Sequence[Documented], relook_of: datetime | None) -> Slot:
    verdict = decide(consent, slot_at, Action.SCHEDULED_LOOKIN)
    documented = _latest(outcomes, slot_at)
    if documented is not None:
        state: CheckInState = "done"
        reason = None
    elif not verdict.allowed and verdict.code != "outside_window":
        state, reason = "skipped", verdict.code  # withdrawn, paused, expired: from now, whatever was planned
    else:  # outside the newest consent's windows: still tonight's duty, done as a visit (camera_allowed False)
        state = "upcoming" if now < start else "due" if now < end else "overdue"
        reason = None
    return Slot(slot_at=slot_at, start=start, end=end, state=state, skip_reason=reason,
                relook_of=relook_of, outcome=documented, camera_allowed=verdict.allowed)


def _relook_state(consent: Consent, due: datetime, width: timedelta, now: datetime,
                  outcomes: Sequence[Documented], parent: datetime) -> Slot:
    slot = _slot(consent, due, due, due + width, now, outcomes, parent)
    if slot.state == "skipped" and slot.skip_reason != "paused":
        # a re-look is a duty of care, not a scheduled look-in: only the recipient's pause stops it
        state: CheckInState = "upcoming" if now < due else "due" if now < due + width else "overdue"
        slot = replace(slot, state=state, skip_reason=None, camera_allowed=False)
    return slot


def _kept(documented: Documented) -> PlannedSlot:
    """A documented check-in no longer planned (consent changed since): kept as it was done, in its own window."""
    return PlannedSlot(documented.slot_at, documented.window_start or documented.slot_at,
                       documented.window_end or documented.slot_at)


def night_slots(consent: Consent | None, night: date, now: datetime, outcomes: Sequence[Documented] = (),
                relook_after: timedelta = timedelta(minutes=15), plan: Sequence[Window] | None = None) -> list[Slot]:
    """Every check-in of the night beginning on `night`, re-looks and documented ones included, in time order.

    `plan` is tonight's windows as they were when the night began (default: the consent's own).
    """
    if now.tzinfo is None:
        raise ValueError(f"now must carry a time zone, got {now.isoformat()}")
    if consent is None:
        return []
    windows = consent.scope.scheduled if plan is None else plan
    planned = planned_slots(windows, night, consent.zone)
    slots: list[Slot] = []
    seen: set[datetime] = set()

    def add(planned: PlannedSlot) -> None:
        slot = _slot(consent, planned.at, planned.start, planned.end, now, outcomes, None)
        slots.append(slot)
        seen.add(slot.slot_at)
        width = slot.end - slot.start if slot.end > slot.start else timedelta(minutes=30)
        parent = slot
        for _ in range(48):  # a chain of "not visible" is bounded by what staff documented; this only caps a loop
            if parent.outcome is None or parent.outcome.outcome != RELOOK_OUTCOME:
                break
            due = relook_moment(parent.outcome, relook_after)
            parent = _relook_state(consent, due, width, now, outcomes, planned.at)
            slots.append(parent)
            seen.add(due)

    for one in planned:
        add(one)
    for documented in sorted(outcomes, key=lambda o: o.slot_at):
        if documented.slot_at not in seen:
            add(_kept(documented))
    return sorted(slots, key=lambda s: s.slot_at)
