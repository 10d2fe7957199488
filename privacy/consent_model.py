"""What a care recipient has consented to: who gave it, when, and what the camera may do.

Swedish law (since March 2024) allows digital supervision only with the recipient's consent (and that of anyone
living with them). Every change is a new, immutable version; a withdrawal is a version with `withdrawn_at` set.
Audio is never part of the scope: the models forbid unknown fields, so it cannot even be written down.
Scheduled times are local wall-clock times in `timezone`; the policy turns them into absolute intervals.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from nattvakt.events import EventKind
from nattvakt.night import HOME_TIMEZONE, MINUTES_PER_DAY, NIGHT_STARTS
from nattvakt.types import PRIVACY_LEVELS, PrivacyLevel


def privacy_rank(level: PrivacyLevel) -> int:
    """Position of `level` from weakest (0) to strongest."""
    return PRIVACY_LEVELS.index(level)


def stronger_level(a: PrivacyLevel, b: PrivacyLevel) -> PrivacyLevel:
    """The stronger of two privacy levels: a request can raise the consented level, never lower it."""
    return a if privacy_rank(a) >= privacy_rank(b) else b


class GrantorRole(StrEnum):
    """Who gave (or withdrew) consent."""

    RECIPIENT = "recipient"
    CO_RESIDENT = "co_resident"
    LEGAL_REPRESENTATIVE = "legal_representative"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Grantor(_Frozen):
    """A person who gave consent."""

    role: GrantorRole
    """Their relation to the supervision: the recipient, a co-resident, or a legal representative."""
    name: str = Field(min_length=1, max_length=128)
    """Their name, as shown in the transparency report."""


class ScheduledWindow(_Frozen):
    """One agreed look-in time, e.g. 23:00 ± 15 min, every night."""

    at: time
    """Local wall-clock time of the look-in (no time zone: the consent's `timezone` applies)."""
    window_min: int = Field(15, ge=1, le=120)
    """Minutes before and after `at` within which the look-in may happen."""

    @field_validator("at")
    @classmethod
    def _naive_minutes(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("a scheduled time is local wall-clock time; give it without a time zone")
        return value.replace(second=0, microsecond=0)

    @property
    def minute_of_day(self) -> int:
        return self.at.hour * 60 + self.at.minute

    def label(self) -> str:
        return f"{self.at:%H:%M} ± {self.window_min} min"


class Pause(_Frozen):
    """A period in which the camera is paused: no look-ins and no detection."""

    start: AwareDatetime
    """When the pause begins."""
    end: AwareDatetime
    """When it ends (exclusive)."""
    set_by: str = Field(min_length=1, max_length=128)
    """Who set it: the recipient, a relative, or a staff member."""
    on_behalf_of: str | None = Field(None, max_length=128)
    """When staff set it for the recipient, whom they acted for."""

    @model_validator(mode="after")
    def _ordered(self) -> Pause:
        if self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} must be after start {self.start.isoformat()}")
        return self

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


class ConsentScope(_Frozen):
    """What the camera may do."""

    scheduled: tuple[ScheduledWindow, ...] = ()
    """Nightly look-in times; windows may cross midnight but must not overlap."""
    event_kinds: frozenset[EventKind] = frozenset()
    """Events for which staff may look in."""
    privacy_level: PrivacyLevel = "silhouette"
    """The weakest level staff may ever see; a look-in can only be stronger."""
    max_lookin_s: int = Field(30, ge=5, le=600)
    """Longest look-in, in seconds (municipal look-ins last 20-30 s)."""
    detection: bool = True
    """Whether the node may run detection (on private frames; nothing leaves the node)."""

    @field_validator("scheduled")
    @classmethod
    def _no_overlap(cls, windows: tuple[ScheduledWindow, ...]) -> tuple[ScheduledWindow, ...]:
        ordered = sorted(windows, key=lambda w: w.minute_of_day)
        for i, first in enumerate(ordered):
            for second in ordered[i + 1 :]:
                gap = second.minute_of_day - first.minute_of_day
                gap = min(gap, MINUTES_PER_DAY - gap)  # distance on the 24-hour circle
                if gap < first.window_min + second.window_min:
                    raise ValueError(f"window {first.label()} overlaps window {second.label()}")
        return tuple(ordered)

    def in_night_order(self) -> list[ScheduledWindow]:
        """Windows as a night runs: from noon, so 23:00 comes before 03:00."""
        noon = NIGHT_STARTS.hour * 60 + NIGHT_STARTS.minute
        return sorted(self.scheduled, key=lambda w: (w.minute_of_day - noon) % MINUTES_PER_DAY)


class ConsentTerms(_Frozen):
    """The terms as staff record them: a new version is made from these."""

    given_by: tuple[Grantor, ...] = Field(min_length=1)
    """Everyone who consented: the recipient (or their representative) and every co-resident."""
    given_at: AwareDatetime
    """When consent was given."""
    valid_from: AwareDatetime
    """When it starts to apply."""
    valid_until: AwareDatetime | None = None
    """When it stops applying (exclusive); open-ended when unset."""
    timezone: str = HOME_TIMEZONE
    """IANA time zone of the home: scheduled times are read in it."""
    scope: ConsentScope
    """What the camera may do."""
    pauses: tuple[Pause, ...] = ()
    """Nights or periods when the camera is paused."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _valid_period(self) -> ConsentTerms:
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError(
                f"valid_until {self.valid_until.isoformat()} must be after valid_from {self.valid_from.isoformat()}"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Consent(ConsentTerms):
    """One stored version of a recipient's consent."""

    recipient_id: int = Field(ge=1)
    """The care recipient it belongs to."""
    version: int = Field(ge=1)
    """1 for the first version; each change adds one."""
    recorded_at: AwareDatetime
    """When this version was stored."""
    recorded_by: str = Field(min_length=1, max_length=128)
    """Who stored it (a staff username, or `recipient` for the personal page)."""
    change: str = Field("created", max_length=256)
    """What changed in this version, in words."""
    withdrawn_at: AwareDatetime | None = None
    """Set when consent is withdrawn: from that moment nothing is allowed."""


def next_local_time(moment: datetime, zone: ZoneInfo, hour: int) -> datetime:
    """The first `hour`:00 local time strictly after `moment` (used for 'pause for tonight')."""
    local = moment.astimezone(zone)
    candidate = datetime.combine(local.date(), time(hour), tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), time(hour), tzinfo=zone)
    return candidate.astimezone(UTC)
