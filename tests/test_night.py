"""The one night planner (`nattvakt.night`): properties over many zones and dates, daylight-saving nights included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nattvakt.night import (
    NIGHT_STARTS,
    local_moment,
    night_bounds,
    night_of,
    open_window,
    planned_slots,
    window_on,
    windows_of_night,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ZONES = [STOCKHOLM, ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")]
"""Lord Howe moves its clocks by half an hour: a night there lasts 23.5 or 24.5 hours."""
DST_NIGHTS = [date(2026, 3, 28), date(2026, 10, 24), date(2026, 3, 7), date(2026, 10, 31), date(2026, 4, 4),
              date(2026, 10, 3), date(2027, 3, 27), date(2027, 10, 30)]
"""Nights holding a clock change in one of `ZONES` (Stockholm, New York, Lord Howe)."""


@dataclass(frozen=True)
class W:
    at: time
    window_min: int


zones = st.sampled_from(ZONES)
nights = st.one_of(st.sampled_from(DST_NIGHTS), st.dates(date(2025, 1, 1), date(2028, 12, 31)))
moments = st.datetimes(datetime(2025, 1, 2), datetime(2028, 12, 30), timezones=st.just(UTC))
walls = st.builds(time, st.integers(0, 23), st.sampled_from([0, 10, 15, 30, 45, 59]))
# Windows that never overlap: centres at least 2 h apart on the clock, at most ± 59 min wide.
window_sets = st.lists(st.integers(0, 11), min_size=1, max_size=6, unique=True).flatmap(
    lambda slots: st.lists(st.integers(1, 59), min_size=len(slots), max_size=len(slots)).map(
        lambda widths: [W(time(2 * s, 0), w) for s, w in zip(slots, widths, strict=True)]))


@settings(max_examples=300, deadline=None)
@given(moment=moments, zone=zones)
def test_every_moment_lies_in_the_night_it_is_said_to_be_in(moment: datetime, zone: ZoneInfo) -> None:
    first, last = night_bounds(night_of(moment, zone), zone)
    assert first <= moment < last


@settings(max_examples=300, deadline=None)
@given(night=nights, zone=zones)
def test_nights_follow_each_other_and_last_23_to_25_hours(night: date, zone: ZoneInfo) -> None:
    first, last = night_bounds(night, zone)
    assert timedelta(hours=23) <= last - first <= timedelta(hours=25)
    assert night_bounds(night + timedelta(days=1), zone)[0] == last
    assert first.astimezone(zone).time() == NIGHT_STARTS and night_of(first, zone) == night
    assert night_of(last - timedelta(microseconds=1), zone) == night


@settings(max_examples=300, deadline=None)
@given(windows=window_sets, night=nights, zone=zones)
def test_each_window_falls_once_in_a_night_in_order_inside_it(windows: list[W], night: date, zone: ZoneInfo) -> None:
    first, last = night_bounds(night, zone)
    placed = windows_of_night(windows, night, zone)
    assert [p.at for p in placed] == sorted(p.at for p in placed)
    assert sorted(map(id, (p.window for p in placed))) == sorted(map(id, windows)), "each window exactly once"
    for p in placed:
        assert first <= p.at < last
        assert p.end - p.at == p.at - p.start == timedelta(minutes=p.window.window_min)


@settings(max_examples=300, deadline=None)
@given(windows=window_sets, night=nights, zone=zones)
def test_planned_slots_are_the_windows_distinct_in_order_and_inside_them(
    windows: list[W], night: date, zone: ZoneInfo
) -> None:
    """The consented windows are the schedule: one check-in at the centre of each window of the night."""
    first, last = night_bounds(night, zone)
    slots = planned_slots(windows, night, zone)
    moments = [s.at for s in slots]
    assert moments == sorted(set(moments))
    for slot in slots:
        assert first <= slot.at < last
        assert slot.start <= slot.at < slot.end
    assert moments == sorted({w.at for w in windows_of_night(windows, night, zone)})


@settings(max_examples=300, deadline=None)
@given(windows=window_sets, moment=moments, zone=zones)
def test_the_open_window_is_the_one_whose_interval_holds_the_moment(
    windows: list[W], moment: datetime, zone: ZoneInfo
) -> None:
    found = open_window(windows, moment, zone)
    night = night_of(moment, zone)
    holding = [p for n in (night - timedelta(days=1), night, night + timedelta(days=1))
               for p in windows_of_night(windows, n, zone) if p.start <= moment < p.end]
    assert (found is None) == (not holding)
    if found is not None:
        assert found.start <= moment < found.end and found.window in [p.window for p in holding]


def test_a_missing_time_happens_after_the_gap_and_a_repeated_one_once() -> None:
    assert local_moment(date(2026, 3, 29), time(2, 30), STOCKHOLM) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert local_moment(date(2026, 10, 25), time(2, 30), STOCKHOLM) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    spring = window_on(W(time(2, 30), 10), date(2026, 3, 29), STOCKHOLM)
    assert spring.at.astimezone(STOCKHOLM).time() == time(3, 30)


def test_a_window_in_the_spring_gap_merges_with_the_hour_after() -> None:
    windows = [W(time(2, 30), 10), W(time(3, 30), 10)]
    slots = planned_slots(windows, date(2026, 3, 28), STOCKHOLM)
    assert [s.at.astimezone(STOCKHOLM).time() for s in slots] == [time(3, 30)], "02:30 is 03:30 that night"


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        night_of(datetime(2026, 1, 1, 3, 0), STOCKHOLM)
