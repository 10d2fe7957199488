"""The consent policy: property tests over random consents and moments, plus daylight-saving and midnight cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from central.night.checkins import checkins_for_night, tonights_checkins
from nattvakt.events import EventKind
from nattvakt.night import night_of
from nattvakt.types import PRIVACY_LEVELS, Action
from privacy.consent_model import (
    Consent,
    ConsentScope,
    Grantor,
    GrantorRole,
    Pause,
    ScheduledWindow,
    privacy_rank,
)
from privacy.consent_policy import decide

STOCKHOLM = ZoneInfo("Europe/Stockholm")
KINDS: tuple[str, ...] = get_args(EventKind)
PROPERTY_EXAMPLES = 1000
# Spring forward and fall back in Stockholm, plus ordinary days around them.
DAYS = [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30), date(2026, 10, 24), date(2026, 10, 25),
        date(2026, 10, 26), date(2027, 1, 15), date(2027, 6, 21)]


def make_consent(scope: ConsentScope, *, pauses: tuple[Pause, ...] = (), valid_from: datetime | None = None,
                 valid_until: datetime | None = None, withdrawn_at: datetime | None = None) -> Consent:
    start = valid_from or datetime(2020, 1, 1, tzinfo=UTC)
    return Consent(
        given_by=(Grantor(role=GrantorRole.RECIPIENT, name="Greta"),), given_at=start, valid_from=start,
        valid_until=valid_until, scope=scope, pauses=pauses, recipient_id=1, version=1, recorded_at=start,
        recorded_by="sköterska", withdrawn_at=withdrawn_at,
    )


def local(day: date, hh: int, mm: int, fold: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=STOCKHOLM).replace(fold=fold)


# --- an independent oracle for "inside a consented window" ---------------------------------------------------------

def in_some_window(consent: Consent, moment: datetime) -> bool:
    """Absolute distance from `moment` to the nearest occurrence of each scheduled local time."""
    for offset in (-2, -1, 0, 1, 2):
        day = moment.astimezone(STOCKHOLM).date() + timedelta(days=offset)
        for window in consent.scope.scheduled:
            at = datetime(day.year, day.month, day.day, window.at.hour, window.at.minute, tzinfo=STOCKHOLM)
            start = at.astimezone(UTC) - timedelta(minutes=window.window_min)
            if start <= moment < start + timedelta(minutes=2 * window.window_min):
                return True
    return False


@st.composite
def windows(draw: st.DrawFn) -> tuple[ScheduledWindow, ...]:
    """Up to four windows, each inside its own two-hour slot of the day, so they never overlap."""
    slots = draw(st.lists(st.integers(0, 11), unique=True, max_size=4))
    result = []
    for slot in slots:
        width = draw(st.integers(1, 59))
        centre = slot * 120 + 60 + draw(st.integers(-(60 - width), 60 - width))
        result.append(ScheduledWindow(at=time(centre // 60, centre % 60), window_min=width))
    return tuple(result)


@st.composite
def consents(draw: st.DrawFn) -> tuple[Consent, datetime, str]:
    day = draw(st.sampled_from(DAYS))
    base = datetime.combine(day, time(12), tzinfo=STOCKHOLM).astimezone(UTC)
    scope = ConsentScope(
        scheduled=draw(windows()),
        event_kinds=frozenset(draw(st.sets(st.sampled_from(KINDS), max_size=4))),
        privacy_level=draw(st.sampled_from(PRIVACY_LEVELS)),
        max_lookin_s=draw(st.integers(5, 600)),
        detection=draw(st.booleans()),
    )
    offsets = st.integers(-36 * 3600, 36 * 3600).map(lambda s: base + timedelta(seconds=s))
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(offsets)
        pauses.append(Pause(start=start, end=start + timedelta(minutes=draw(st.integers(1, 16 * 60))), set_by="Greta"))
    valid_from = base + timedelta(hours=draw(st.one_of(st.integers(-72, -40), st.integers(-60, 12))))
    valid_until = draw(st.one_of(st.none(), st.integers(1, 240).map(lambda h: valid_from + timedelta(hours=h))))
    withdrawn = draw(st.one_of(st.none(), offsets)) if draw(st.integers(0, 9)) == 0 else None
    consent = make_consent(scope, pauses=tuple(pauses), valid_from=valid_from, valid_until=valid_until,
                           withdrawn_at=withdrawn)
    consented: list[str] = sorted(scope.event_kinds) or [""]
    reason = draw(st.one_of(st.sampled_from(("", *KINDS)), st.sampled_from(consented)))
    near_window: bool = draw(st.booleans())
    if scope.scheduled and near_window:
        # Near a window edge, where mistakes hide: centre ± up to 1.2 widths, on a night around the base day.
        window = draw(st.sampled_from(scope.scheduled))
        night = day + timedelta(days=draw(st.integers(-1, 1)))
        centre = datetime.combine(night, window.at, tzinfo=STOCKHOLM).astimezone(UTC)
        spread = int(window.window_min * 72)
        return consent, centre + timedelta(seconds=draw(st.integers(-spread, spread))), reason
    return consent, draw(offsets), reason


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
@given(case=consents(), action=st.sampled_from(list(Action)))
def test_no_decision_allows_more_than_the_consent(case: tuple[Consent, datetime, str], action: Action) -> None:
    consent, now, reason = case
    decision = decide(consent, now, action, reason)
    scope = consent.scope
    expected_ok = (
        consent.withdrawn_at is None
        and consent.valid_from <= now
        and (consent.valid_until is None or now < consent.valid_until)
        and not any(p.covers(now) for p in consent.pauses)
        and {
            Action.DETECTION: scope.detection,
            Action.EVENT_LOOKIN: reason in scope.event_kinds,
            Action.SCHEDULED_LOOKIN: in_some_window(consent, now),
        }[action]
    )
    assert decision.allowed == expected_ok, decision
    event(f"{action.value}: {decision.code}")
    if not decision.allowed:
        assert decision.level is None and decision.max_duration == timedelta(0)
        return
    assert decision.level is not None
    assert privacy_rank(decision.level) >= privacy_rank(scope.privacy_level)
    end = now + decision.max_duration
    assert decision.max_duration > timedelta(0)
    assert consent.valid_until is None or end <= consent.valid_until
    assert not any(p.start < end and now < p.end for p in consent.pauses), "a look-in may not run into a pause"
    if action is Action.DETECTION:
        return
    assert decision.max_duration <= timedelta(seconds=scope.max_lookin_s)
    if action is Action.SCHEDULED_LOOKIN:
        last = end - timedelta(microseconds=1)
        for moment in (now, now + (last - now) / 2, last):
            assert in_some_window(consent, moment), f"look-in reaches outside every window at {moment}"


@settings(max_examples=300, deadline=None)
@given(now=st.datetimes(timezones=st.just(UTC)), action=st.sampled_from(list(Action)))
def test_default_deny_without_consent(now: datetime, action: Action) -> None:
    assert not decide(None, now, action, "on_floor").allowed


def test_unknown_action_and_naive_time() -> None:
    consent = make_consent(ConsentScope(scheduled=(ScheduledWindow(at=time(23)),)))
    assert decide(consent, datetime.now(UTC), "record_video").code == "unknown_action"
    with pytest.raises(ValueError, match="time zone"):
        decide(consent, datetime(2026, 1, 1, 23), Action.SCHEDULED_LOOKIN)


def test_window_crossing_midnight() -> None:
    consent = make_consent(ConsentScope(scheduled=(ScheduledWindow(at=time(23, 55), window_min=15),),
                                        max_lookin_s=600))
    day = date(2027, 1, 15)
    allowed = decide(consent, local(day + timedelta(days=1), 0, 3), Action.SCHEDULED_LOOKIN)
    assert allowed.allowed and allowed.max_duration == timedelta(minutes=7), "cut at the window's end, 00:10"
    assert decide(consent, local(day, 23, 40), Action.SCHEDULED_LOOKIN).allowed
    assert not decide(consent, local(day, 23, 39), Action.SCHEDULED_LOOKIN).allowed
    assert not decide(consent, local(day + timedelta(days=1), 0, 10), Action.SCHEDULED_LOOKIN).allowed


def test_time_missing_on_spring_forward_night_happens_after_the_gap() -> None:
    consent = make_consent(ConsentScope(scheduled=(ScheduledWindow(at=time(2, 30), window_min=10),)))
    checkins = checkins_for_night(consent, date(2026, 3, 28))
    assert [c.at for c in checkins] == [datetime(2026, 3, 29, 1, 30, tzinfo=UTC)]  # 03:30 summer time
    assert decide(consent, datetime(2026, 3, 29, 1, 25, tzinfo=UTC), Action.SCHEDULED_LOOKIN).allowed
    assert not decide(consent, datetime(2026, 3, 29, 0, 30, tzinfo=UTC), Action.SCHEDULED_LOOKIN).allowed


def test_time_repeated_on_fall_back_night_happens_once() -> None:
    consent = make_consent(ConsentScope(scheduled=(ScheduledWindow(at=time(2, 30), window_min=10),)))
    checkins = checkins_for_night(consent, date(2026, 10, 24))
    assert [c.at for c in checkins] == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]  # first 02:30 (summer time)
    first, second = local(date(2026, 10, 25), 2, 30, fold=0), local(date(2026, 10, 25), 2, 30, fold=1)
    assert second - first == timedelta(0) and second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    assert decide(consent, first, Action.SCHEDULED_LOOKIN).allowed
    assert not decide(consent, second, Action.SCHEDULED_LOOKIN).allowed


@pytest.mark.parametrize(("night", "hours"), [(date(2026, 3, 28), 5), (date(2026, 10, 24), 7), (date(2027, 1, 15), 6)])
def test_nights_are_shorter_or_longer_around_dst(night: date, hours: int) -> None:
    consent = make_consent(ConsentScope(scheduled=(ScheduledWindow(at=time(22)), ScheduledWindow(at=time(4)))))
    late, early = checkins_for_night(consent, night)
    assert late.at.astimezone(STOCKHOLM).time() == time(22) and early.at.astimezone(STOCKHOLM).time() == time(4)
    assert early.at - late.at == timedelta(hours=hours)


def test_tonights_checkins_mark_paused_ones() -> None:
    day = date(2027, 1, 15)
    pause = Pause(start=local(day, 21, 0), end=local(day + timedelta(days=1), 1, 0), set_by="Greta")
    consent = make_consent(
        ConsentScope(scheduled=(ScheduledWindow(at=time(23)), ScheduledWindow(at=time(3)))), pauses=(pause,)
    )
    assert night_of(local(day + timedelta(days=1), 2, 0), consent.zone) == day
    checkins = tonights_checkins(consent, local(day, 20, 0))
    assert [(c.at.astimezone(STOCKHOLM).hour, c.allowed) for c in checkins] == [(23, False), (3, True)]
    assert "paused" in checkins[0].reason_text
    assert tonights_checkins(None, local(day, 20, 0)) == []


def test_pause_cuts_a_lookin_short_and_withdrawal_stops_everything() -> None:
    day = date(2027, 1, 15)
    pause = Pause(start=local(day, 23, 0, ) + timedelta(seconds=10), end=local(day, 23, 30), set_by="Greta")
    scope = ConsentScope(scheduled=(ScheduledWindow(at=time(23)),), event_kinds=frozenset({"on_floor"}))
    consent = make_consent(scope, pauses=(pause,))
    decision = decide(consent, local(day, 23, 0), Action.EVENT_LOOKIN, "on_floor")
    assert decision.allowed and decision.max_duration == timedelta(seconds=10)
    withdrawn = consent.model_copy(update={"withdrawn_at": local(day, 22, 0)})
    for action in Action:
        assert decide(withdrawn, local(day, 22, 55), action, "on_floor").code == "withdrawn"
