"""Nights, consented windows and planned check-in slots: the one planner every part uses. Pure functions.

A night runs from local noon to the next local noon, so one night's check-ins stay on one list, and it is named by
the local date on which it began. Times of windows and schedules are local wall-clock times, turned into absolute
(UTC) moments here and nowhere else. Daylight saving: a wall-clock time that does not exist (02:30 on the
spring-forward night) is read with the offset before the gap, so it happens at 03:30 new time; one that occurs twice
(02:30 on the fall-back night) happens once, at its first occurrence. A night therefore lasts 23, 24 or 25 hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

HOME_TIMEZONE = "Europe/Stockholm"
"""The home's time zone unless configured (`NATTVAKT_CENTRAL__HOME_TIMEZONE`), and a new consent's default."""
NIGHT_STARTS = time(12, 0)
"""A night runs from this local time to the same time the next day."""
MINUTES_PER_DAY = 24 * 60


class Window(Protocol):
    """A consented look-in window: `at` ± `window_min` minutes, local wall-clock time, every night."""

    @property
    def at(self) -> time: ...

    @property
    def window_min(self) -> int: ...


W = TypeVar("W", bound=Window)


@dataclass(frozen=True, slots=True)
class WindowOnNight(Generic[W]):
    """One window as it falls on one night, in absolute time."""

    window: W
    start: datetime
    """When it opens (UTC)."""
    at: datetime
    """The agreed moment (UTC)."""
    end: datetime
    """When it closes (UTC, exclusive)."""


@dataclass(frozen=True, slots=True)
class PlannedSlot:
    """One planned check-in of a night."""

    at: datetime
    """The planned moment (UTC): the check-in's identity."""
    start: datetime
    """When its window opens (UTC)."""
    end: datetime
    """When its window closes (UTC, exclusive)."""


def local_moment(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """`wall` on local date `day`, in UTC (fold=0: see the module docstring)."""
    return datetime.combine(day, wall.replace(tzinfo=None, fold=0), tzinfo=zone).astimezone(UTC)


def night_of(moment: datetime, zone: ZoneInfo) -> date:
    """The local date on which the night holding `moment` began."""
    if moment.tzinfo is None:
        raise ValueError(f"moment must carry a time zone, got {moment.isoformat()}")
    local = moment.astimezone(zone)
    return local.date() if local.time() >= NIGHT_STARTS else local.date() - timedelta(days=1)


def night_start(night: date, zone: ZoneInfo) -> datetime:
    """When the night beginning on local date `night` begins, in UTC."""
    return local_moment(night, NIGHT_STARTS, zone)


def night_bounds(night: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The night beginning on local date `night`: [its start, the next night's start), in UTC."""
    return night_start(night, zone), night_start(night + timedelta(days=1), zone)


def window_on(window: W, day: date, zone: ZoneInfo) -> WindowOnNight[W]:
    """`window` on local date `day`: its moment, opening and closing in absolute time."""
    at = local_moment(day, window.at, zone)
    width = timedelta(minutes=window.window_min)
    return WindowOnNight(window, at - width, at, at + width)


def windows_of_night(windows: Iterable[W], night: date, zone: ZoneInfo) -> list[WindowOnNight[W]]:
    """Every window whose moment falls in the night beginning on `night`, in time order."""
    first, last = night_bounds(night, zone)
    found = [window_on(w, day, zone) for day in (night, night + timedelta(days=1)) for w in windows]
    return sorted((w for w in found if first <= w.at < last), key=lambda w: w.at)


def open_window(windows: Iterable[W], moment: datetime, zone: ZoneInfo) -> WindowOnNight[W] | None:
    """The window open at `moment` (windows never overlap), else None."""
    today = moment.astimezone(zone).date()
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        for window in windows:
            placed = window_on(window, day, zone)
            if placed.start <= moment < placed.end:
                return placed
    return None


def planned_slots(windows: Sequence[Window], night: date, zone: ZoneInfo) -> list[PlannedSlot]:
    """The check-ins planned for the night beginning on `night`, in time order: the centre of every consented window
    (the windows are the schedule; there is no second list that could disagree with them)."""
    return _distinct([PlannedSlot(w.at, w.start, w.end) for w in windows_of_night(windows, night, zone)])


def _distinct(planned: list[PlannedSlot]) -> list[PlannedSlot]:
    """In time order, one per moment: on the spring-forward night 02:30 is read as 03:30, which may be planned too."""
    by_moment: dict[datetime, PlannedSlot] = {}
    for slot in sorted(planned, key=lambda p: p.at):
        by_moment.setdefault(slot.at, slot)
    return list(by_moment.values())
