"""Tonight's check-ins as pure functions: states, the re-look rule, pauses, and daylight-saving nights."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from central.night.service import tonights_plan
from central.night.slots import OUTCOMES, Documented, Slot, night_slots, relook_moment
from nattvakt.night import night_bounds, planned_slots
from privacy.consent_model import Consent, ConsentScope, Grantor, GrantorRole, Pause, ScheduledWindow

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SPRING_NIGHT = date(2026, 3, 28)  # clocks go 02:00 → 03:00 on the morning of the 29th
AUTUMN_NIGHT = date(2026, 10, 24)  # clocks go 03:00 → 02:00 on the morning of the 25th
RELOOK = timedelta(minutes=15)
CANDIDATE_TIMES = [time(h, m) for h in (*range(20, 24), *range(0, 8)) for m in (0, 30)]


def consent(windows: list[ScheduledWindow], pauses: tuple[Pause, ...] = ()) -> Consent:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return Consent(
        given_by=(Grantor(role=GrantorRole.RECIPIENT, name="Greta"),), given_at=start, valid_from=start,
        scope=ConsentScope(scheduled=tuple(windows), event_kinds=frozenset({"on_floor"})), pauses=pauses,
        recipient_id=1, version=1, recorded_at=start, recorded_by="sara",
    )


nights = st.one_of(st.sampled_from([SPRING_NIGHT, AUTUMN_NIGHT, date(2027, 3, 27), date(2027, 10, 30)]),
                   st.dates(date(2026, 1, 1), date(2027, 12, 31)))
window_sets = st.lists(st.sampled_from(CANDIDATE_TIMES), min_size=1, max_size=8, unique=True).flatmap(
    lambda times: st.lists(st.sampled_from([5, 10, 14]), min_size=len(times), max_size=len(times)).map(
        lambda widths: [ScheduledWindow(at=t, window_min=w) for t, w in zip(times, widths, strict=True)]))


def _local_wall(at: datetime) -> time:
    return at.astimezone(STOCKHOLM).time().replace(tzinfo=None)


@settings(max_examples=150, deadline=None)
@given(windows=window_sets, night=nights, minutes=st.integers(0, 24 * 60 - 1))
def test_every_consented_time_once_inside_the_night_with_states_from_the_clock(
    windows: list[ScheduledWindow], night: date, minutes: int
) -> None:
    c = consent(windows)
    first, last = night_bounds(night, c.zone)
    now = first + timedelta(minutes=minutes)
    slots = night_slots(c, night, now)
    moments = [s.slot_at for s in slots]
    assert moments == sorted(moments) and len(set(moments)) == len(moments)
    for window in windows:
        matching = [s for s in slots if _local_wall(s.slot_at) == window.at]
        shifted = [s for s in slots if _local_wall(s.slot_at) == (datetime.combine(night, window.at)
                                                                   + timedelta(hours=1)).time()]
        # a time in the spring-forward gap happens an hour later by the clock; otherwise exactly at its time
        assert len(matching) == 1 or ((night == SPRING_NIGHT or night.month == 3) and len(shifted) == 1), window
    for slot in slots:
        assert first <= slot.slot_at < last
        assert slot.start <= slot.slot_at < slot.end
        assert slot.camera_allowed and slot.skip_reason is None and slot.outcome is None
        expected = "upcoming" if now < slot.start else "due" if now < slot.end else "overdue"
        assert slot.state == expected


@settings(max_examples=150, deadline=None)
@given(windows=window_sets, night=nights, data=st.data())
def test_documented_is_done_and_not_visible_brings_a_relook(
    windows: list[ScheduledWindow], night: date, data: st.DataObject
) -> None:
    c = consent(windows)
    planned = planned_slots(c.scope.scheduled, night, c.zone)
    chosen = data.draw(st.lists(st.sampled_from(planned), unique=True, max_size=len(planned)))
    outcomes = []
    for planned_slot in chosen:
        slot_at, start = planned_slot.at, planned_slot.start
        recorded = start + timedelta(minutes=data.draw(st.integers(0, 40)), seconds=data.draw(st.integers(0, 59)))
        outcomes.append(Documented(slot_at, data.draw(st.sampled_from(OUTCOMES)), recorded, "nils"))
    now = night_bounds(night, c.zone)[0] + timedelta(minutes=data.draw(st.integers(0, 24 * 60)))
    slots = night_slots(c, night, now, outcomes, relook_after=RELOOK)
    by_moment = {s.slot_at: s for s in slots}
    for documented in outcomes:
        slot = by_moment[documented.slot_at]
        assert slot.state == "done" and slot.outcome == documented
        relooks = [s for s in slots if s.relook_of == documented.slot_at]
        if documented.outcome == "not_visible":
            assert [r.slot_at for r in relooks] == [relook_moment(documented, RELOOK)]
            relook = relooks[0]
            assert relook.state == ("upcoming" if now < relook.start else "due" if now < relook.end else "overdue")
        else:
            assert relooks == []
    assert len(slots) == len(planned) + sum(o.outcome == "not_visible" for o in outcomes)


@settings(max_examples=100, deadline=None)
@given(windows=window_sets, night=nights, pause_from=st.integers(0, 23 * 60), pause_len=st.integers(1, 12 * 60),
       minutes=st.integers(0, 24 * 60 - 1))
def test_a_pause_skips_exactly_the_checkins_it_covers(
    windows: list[ScheduledWindow], night: date, pause_from: int, pause_len: int, minutes: int
) -> None:
    first = night_bounds(night, consent(windows).zone)[0]
    pause = Pause(start=first + timedelta(minutes=pause_from),
                  end=first + timedelta(minutes=pause_from + pause_len), set_by="recipient")
    c = consent(windows, (pause,))
    for slot in night_slots(c, night, first + timedelta(minutes=minutes)):
        if pause.covers(slot.slot_at):
            assert slot.state == "skipped" and slot.skip_reason == "paused" and not slot.camera_allowed
        else:
            assert slot.state != "skipped" and slot.camera_allowed


@settings(max_examples=60, deadline=None)
@given(windows=window_sets, night=nights, steps=st.lists(st.integers(0, 24 * 60), min_size=2, max_size=6))
def test_states_only_move_forward_as_the_night_goes_on(windows: list[ScheduledWindow], night: date,
                                                      steps: list[int]) -> None:
    c = consent(windows)
    first = night_bounds(night, c.zone)[0]
    order = {"upcoming": 0, "due": 1, "overdue": 2}
    history: dict[datetime, int] = {}
    for minute in sorted(steps):
        for slot in night_slots(c, night, first + timedelta(minutes=minute)):
            rank = order[slot.state]
            assert rank >= history.get(slot.slot_at, 0)
            history[slot.slot_at] = rank


def test_daylight_saving_nights_by_the_clock() -> None:
    c = consent([ScheduledWindow(at=time(23, 0)), ScheduledWindow(at=time(2, 30)), ScheduledWindow(at=time(6, 0))])
    autumn = [s.slot_at for s in planned_slots_only(c, AUTUMN_NIGHT)]
    # 23:00 CEST, 02:30 CEST (the first of the two 02:30s), 06:00 CET
    assert autumn == [datetime(2026, 10, 24, 21, 0, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                      datetime(2026, 10, 25, 5, 0, tzinfo=UTC)]
    spring = [s.slot_at for s in planned_slots_only(c, SPRING_NIGHT)]
    # 23:00 CET, 02:30 does not exist: read with the old offset, i.e. 03:30 CEST; 06:00 CEST
    assert spring == [datetime(2026, 3, 28, 22, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
                      datetime(2026, 3, 29, 4, 0, tzinfo=UTC)]
    # the autumn night is 25 hours long, the spring night 23
    for night, hours in ((AUTUMN_NIGHT, 25), (SPRING_NIGHT, 23)):
        start, end = night_bounds(night, c.zone)
        assert end - start == timedelta(hours=hours)


def planned_slots_only(c: Consent, night: date) -> list[Slot]:
    return [s for s in night_slots(c, night, night_bounds(night, c.zone)[0]) if s.relook_of is None]


def test_tonights_plan_is_the_windows_at_the_nights_start_and_never_a_window_without_consent() -> None:
    """Reported bug: a consent change left check-ins "skipped (no consent now)" with windows like 14:15–14:15."""
    before = consent([ScheduledWindow(at=time(23, 0), window_min=30), ScheduledWindow(at=time(3, 0), window_min=15)])
    after = consent([ScheduledWindow(at=time(1, 0), window_min=20)])
    night = date(2026, 11, 23)
    first = night_bounds(night, after.zone)[0]
    slots = night_slots(after, night, first + timedelta(hours=2), plan=before.scope.scheduled)
    assert [(_local_wall(s.slot_at), s.state, s.skip_reason) for s in slots] == [
        (time(23, 0), "upcoming", None), (time(3, 0), "upcoming", None)], "tonight keeps the plan it began with"
    assert all(s.end - s.start >= timedelta(minutes=30) for s in slots), "every check-in has its consented window"
    assert not any(s.camera_allowed for s in slots), "the camera follows the newest consent at once: a visit"
    assert [_local_wall(s.slot_at) for s in night_slots(after, night + timedelta(days=1), first)] == [time(1, 0)]


def test_a_documented_checkin_stays_whatever_the_consent_says_later() -> None:
    """Reported bug: changing the schedule made a documented check-in vanish from tonight (and the follow-up)."""
    night = date(2026, 11, 23)
    slot_at = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    done = Documented(slot_at, "sleeping", slot_at + timedelta(minutes=3), "nils",
                      window_start=slot_at - timedelta(minutes=15), window_end=slot_at + timedelta(minutes=15))
    changed = consent([ScheduledWindow(at=time(2, 0), window_min=15)])
    (kept, later) = night_slots(changed, night, slot_at + timedelta(hours=1), [done], plan=changed.scope.scheduled)
    assert (kept.slot_at, kept.state, kept.outcome, kept.start, kept.end) == (
        slot_at, "done", done, done.window_start, done.window_end)
    assert _local_wall(later.slot_at) == time(2, 0) and later.state == "upcoming"
    withdrawn = changed.model_copy(update={"withdrawn_at": slot_at + timedelta(minutes=30)})
    states = [(s.slot_at, s.state, s.skip_reason) for s in night_slots(withdrawn, night, slot_at + timedelta(hours=1),
                                                                     [done])]
    assert states == [(slot_at, "done", None), (later.slot_at, "skipped", "withdrawn")], "a withdrawal: from now on"


def test_relook_chain_after_two_not_visible() -> None:
    c = consent([ScheduledWindow(at=time(23, 0), window_min=15)])
    night = date(2026, 11, 23)
    slot_at = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    first = Documented(slot_at, "not_visible", slot_at + timedelta(minutes=2, microseconds=5), "nils")
    relook_at = datetime(2026, 11, 23, 22, 17, tzinfo=UTC)
    second = Documented(relook_at, "not_visible", relook_at + timedelta(minutes=1), "nils")
    slots = night_slots(c, night, relook_at + timedelta(minutes=50), [first, second], relook_after=RELOOK)
    assert [(s.slot_at, s.state, s.relook_of) for s in slots] == [
        (slot_at, "done", None), (relook_at, "done", slot_at),
        (datetime(2026, 11, 23, 22, 33, tzinfo=UTC), "overdue", slot_at)]
    assert not slots[2].camera_allowed, "outside the consented window a re-look is a visit, not a camera look"


def test_tonights_plan_is_fixed_at_the_nights_start_unless_consent_began_during_it() -> None:
    before = consent([ScheduledWindow(at=time(23, 0), window_min=30)])
    changed = consent([ScheduledWindow(at=time(1, 0), window_min=20)])
    assert tonights_plan(before, changed) == before.scope.scheduled, "a change applies from the next night"
    assert tonights_plan(None, changed) == changed.scope.scheduled, "a first consent tonight: tonight already"
    withdrawn = before.model_copy(update={"withdrawn_at": datetime(2025, 6, 1, tzinfo=UTC)})
    assert tonights_plan(withdrawn, changed) == changed.scope.scheduled, "consent given again after a withdrawal"
