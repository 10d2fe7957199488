"""Follow-up figures: a seeded synthetic month (with the autumn daylight-saving night) checked figure by figure
against a computation written here independently; suppression of small counts; the API's roles, CSV and report."""

from __future__ import annotations

import asyncio
import csv
import io
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import pytest
import redis

from central.db import open_store
from central.followup.figures import (
    ChangeRecord,
    CheckinRecord,
    EventRecord,
    LookinRecord,
    Records,
    figures,
    month_nights,
    suppress,
    weekly,
)
from central.night.models import Outcome
from central.staff.service import upsert_staff
from nattvakt.events import Event, Severity
from nattvakt.night import night_of
from nattvakt.settings import Settings
from tests.conftest import STAFF_PASSWORD as PASSWORD
from tests.conftest import Api, serve_on
from tests.recipients import new_recipient, terms

ZONE = ZoneInfo("Europe/Stockholm")
KINDS = ("bed_exit", "on_floor", "out_of_bed_too_long", "left_room", "motion")
CHECKIN_TIMES = (time(22, 0), time(2, 0), time(5, 30))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _wall(night: date, at: time) -> datetime:
    """A local wall-clock time of the night beginning on `night` (times before noon are on the next day)."""
    day = night if at >= time(12) else night + timedelta(days=1)
    return datetime.combine(day, at, tzinfo=ZONE).astimezone(UTC)


def _night_of(moment: datetime) -> date:
    """Independent of `local_night`: shift the local wall clock back twelve hours and take its date."""
    return (moment.astimezone(ZONE).replace(tzinfo=None) - timedelta(hours=12)).date()


@dataclass
class Month:
    records: Records
    nights: list[date]


def synthetic_october(seed: int = 20261025) -> Month:
    """Six recipients, three check-ins a night, events at night, two outages and some consent changes, seeded."""
    rng = random.Random(seed)
    nights = [date(2026, 10, 1) + timedelta(days=i) for i in range(31)]
    checkins: list[CheckinRecord] = []
    events: list[EventRecord] = []
    changes: list[ChangeRecord] = []
    lookins: list[LookinRecord] = []
    for night in [date(2026, 9, 30), *nights, date(2026, 11, 1)]:  # neighbours that must not be counted
        for _ in range(rng.randint(0, 12)):  # look-ins that showed a picture, at any hour of the night
            lookins.append(LookinRecord(_wall(night, time(12)) + timedelta(seconds=rng.randint(0, 24 * 3600 - 1)),
                                        rng.choice(["on_floor", "scheduled"])))
        for _recipient in range(6):
            for at in CHECKIN_TIMES:
                slot = _wall(night, at)
                end = slot + timedelta(minutes=30)
                roll = rng.random()
                if roll < 0.07:
                    checkins.append(CheckinRecord(night, slot, end, "overdue"))
                elif roll < 0.12:
                    checkins.append(CheckinRecord(night, slot, end, "skipped", "paused", camera_allowed=False))
                elif roll < 0.14:
                    checkins.append(CheckinRecord(night, slot, end, "skipped", "not_consented", camera_allowed=False))
                else:
                    outcome = rng.choices(["sleeping", "awake_calm", "needs_visit", "visited", "not_visible",
                                           "camera_failed_visit"], [50, 20, 5, 8, 10, 4])[0]
                    camera = rng.random() > 0.1
                    recorded = slot + timedelta(seconds=rng.randint(-900, 2700))
                    checkins.append(CheckinRecord(night, slot, end, "done", None, outcome, recorded, camera))
                    if outcome == "not_visible":
                        relook = recorded + timedelta(minutes=15)
                        checkins.append(CheckinRecord(night, relook, relook + timedelta(minutes=30), "done", None,
                                                      "sleeping", relook + timedelta(minutes=3), camera, True))
        for _ in range(rng.randint(0, 7)):
            started = _wall(night, time(20)) + timedelta(seconds=rng.randint(0, 11 * 3600))
            kind = rng.choice(KINDS)
            ack = started + timedelta(seconds=rng.randint(20, 900)) if rng.random() < 0.9 else None
            doc = (ack or started) + timedelta(seconds=rng.randint(30, 2400)) if rng.random() < 0.8 else None
            found = (rng.choices(["false_alarm", "awake_calm", "visited", "needs_visit"], [30, 30, 30, 10])[0]
                     if doc else None)
            events.append(EventRecord(f"e{len(events)}", kind, started, rng.randint(1, 4), ack, doc, found,
                                      started + timedelta(minutes=5)))
        if rng.random() < 0.3:
            changes.append(ChangeRecord(_wall(night, time(rng.randint(13, 23))),
                                        rng.choice(["consent_change", "pause", "resume"])))
    # the daylight-saving night 24-25 October: 25 hours; 02:30 happens twice; 11:30 on the 25th is still night 24
    dst = date(2026, 10, 24)
    twice = datetime(2026, 10, 25, 2, 30, tzinfo=ZONE)
    events += [
        EventRecord("dst-first", "on_floor", twice.astimezone(UTC), 4, twice.astimezone(UTC) + timedelta(minutes=2),
                    twice.astimezone(UTC) + timedelta(minutes=9), "visited"),
        EventRecord("dst-second", "on_floor", twice.replace(fold=1).astimezone(UTC), 4, None, None, None),
        EventRecord("dst-late", "bed_exit", datetime(2026, 10, 25, 11, 30, tzinfo=ZONE).astimezone(UTC), 2),
        EventRecord("dst-next", "bed_exit", datetime(2026, 10, 25, 12, 30, tzinfo=ZONE).astimezone(UTC), 2),
    ]
    # outages: one inside the month, one across its end, one still open before the month (ends inside it)
    events += [
        EventRecord("out-1", "node_offline", datetime(2026, 10, 10, 1, 0, tzinfo=UTC), 4,
                    ended_at=datetime(2026, 10, 10, 3, 30, tzinfo=UTC)),
        EventRecord("out-2", "camera_fault", datetime(2026, 11, 1, 10, 0, tzinfo=UTC), 3,
                    ended_at=datetime(2026, 11, 1, 14, 0, tzinfo=UTC)),
        EventRecord("out-3", "node_offline", datetime(2026, 9, 30, 20, 0, tzinfo=UTC), 4,
                    ended_at=datetime(2026, 10, 1, 12, 0, tzinfo=UTC)),
    ]
    assert _night_of(twice.replace(fold=1).astimezone(UTC)) == dst
    return Month(Records(checkins, events, changes, lookins), nights)


def _expected(records: Records, nights: list[date]) -> dict[str, Any]:
    """Every figure, computed straightforwardly from the records."""
    wanted = set(nights)
    planned = [c for c in records.checkins if c.night in wanted and not c.relook]
    done_all = [c for c in records.checkins if c.night in wanted and c.state == "done"]
    evs = [e for e in records.events if _night_of(e.started_at) in wanted]
    care = [e for e in evs if e.kind not in ("node_offline", "camera_fault")]
    acks = [(e.acknowledged_at - e.started_at).total_seconds() for e in care if e.acknowledged_at]
    docs = [(e.documented_at - e.started_at).total_seconds() for e in care if e.documented_at]
    physical = [c for c in done_all if c.outcome in ("visited", "camera_failed_visit") or not c.camera_allowed]
    digital = [c for c in done_all if c not in physical]
    first = datetime.combine(min(nights), time(12), tzinfo=ZONE)
    last = datetime.combine(max(nights) + timedelta(days=1), time(12), tzinfo=ZONE)
    outages = [e for e in records.events if e.kind in ("node_offline", "camera_fault")
               and e.started_at < last and (e.ended_at or last) > first]
    documented_by_kind = Counter(e.kind for e in evs if e.outcome)
    false_by_kind = Counter(e.kind for e in evs if e.outcome == "false_alarm")
    return {
        "checkins_planned": len(planned),
        "checkins_done": sum(c.state == "done" for c in planned),
        "checkins_late": sum(c.state == "done" and c.recorded_at >= c.window_end for c in planned),  # type: ignore[operator]
        "checkins_missed": sum(c.state == "overdue" for c in planned),
        "checkins_skipped_by_recipient": sum(c.skip_reason == "paused" for c in planned),
        "checkins_skipped_other": sum(c.state == "skipped" and c.skip_reason != "paused" for c in planned),
        "relooks": sum(c.relook for c in records.checkins if c.night in wanted),
        "lookins_digital": sum(_night_of(look.started_at) in wanted for look in records.lookins),
        "visits_physical": len(physical),
        "visits_avoided": sum(c.outcome != "needs_visit" for c in digital),
        "visits_due_to_downtime": sum(c.outcome == "camera_failed_visit" for c in physical),
        "events": len(evs), "events_by_kind": dict(Counter(e.kind for e in evs)),
        "events_by_severity": dict(Counter(str(e.severity) for e in evs)),
        "ack_n": len(acks), "ack_median_s": float(np.median(acks)),
        "ack_p90_s": float(np.percentile(acks, 90, method="inverted_cdf")),
        "documented_n": len(docs), "documented_median_s": float(np.median(docs)),
        "documented_p90_s": float(np.percentile(docs, 90, method="inverted_cdf")),
        "false_alarms": sum(false_by_kind.values()),
        "false_alarm_rate_by_kind": {k: false_by_kind[k] / n for k, n in documented_by_kind.items()},
        "outages": len(outages),
        "downtime_s": sum((min(e.ended_at or last, last) - max(e.started_at, first)).total_seconds() for e in outages),
        "consent_changes": sum(c.kind == "consent_change" for c in records.changes if _night_of(c.at) in wanted),
        "pauses": sum(c.kind == "pause" for c in records.changes if _night_of(c.at) in wanted),
        "histogram_total": len(docs),
    }


def test_a_synthetic_month_figure_by_figure() -> None:
    month = synthetic_october()
    assert month.nights == month_nights(2026, 10)
    got = figures(month.records, month.nights, NOW, ZONE)
    want = _expected(month.records, month.nights)
    for name, value in want.items():
        if name == "histogram_total":
            assert sum(got.response_histogram) == value
        elif isinstance(value, float):
            assert getattr(got, name) == pytest.approx(value), name
        elif isinstance(value, dict):
            assert {k: v for k, v in getattr(got, name).items()} == pytest.approx(value), name
        else:
            assert getattr(got, name) == value, name
    # the seed produced a month worth checking: every kind of figure is non-trivial
    assert got.checkins_missed and got.checkins_late and got.checkins_skipped_by_recipient and got.false_alarms
    assert got.visits_due_to_downtime and got.pauses and got.relooks and got.nights == 31
    assert got.ack_median_s is not None and got.ack_p90_s is not None and got.ack_p90_s > got.ack_median_s
    # outages: 2.5 h inside; out-2 from 10:00 UTC to the month's end (1 Nov 12:00 CET = 11:00 UTC);
    # out-3 from the month's start (1 Oct 12:00 CEST = 10:00 UTC) to 12:00 UTC
    assert got.outages == 3 and got.downtime_s == pytest.approx(2.5 * 3600 + 3600 + 2 * 3600)


def test_nights_are_local_across_the_daylight_saving_change() -> None:
    month = synthetic_october()
    dst, after = date(2026, 10, 24), date(2026, 10, 25)
    ids = {e.event_id: e for e in month.records.events}
    assert night_of(ids["dst-first"].started_at, ZONE) == night_of(ids["dst-second"].started_at, ZONE) == dst
    assert night_of(ids["dst-late"].started_at, ZONE) == dst and night_of(ids["dst-next"].started_at, ZONE) == after
    # a UTC day would split the 25-hour night: 11:30 local on the 25th is 10:30 UTC, same UTC date as 12:30 local
    assert ids["dst-late"].started_at.date() == ids["dst-next"].started_at.date()
    on_dst = figures(month.records, [dst], NOW, ZONE)
    want = _expected(month.records, [dst])
    assert on_dst.events == want["events"] and on_dst.events_by_kind == want["events_by_kind"]
    assert on_dst.events_by_kind["on_floor"] >= 2  # both 02:30s
    # every event of the month is counted on exactly one night
    per_night = sum(figures(month.records, [n], NOW, ZONE).events for n in month.nights)
    assert per_night == figures(month.records, month.nights, NOW, ZONE).events
    weeks = weekly(month.records, month.nights, NOW, ZONE)
    assert weeks[0][0] == "2026-W40" and sum(f.events for _, f in weeks) == per_night
    assert sum(f.nights for _, f in weeks) == 31


def test_a_period_with_no_data() -> None:
    empty = figures(Records(), month_nights(2026, 2), NOW, ZONE)
    assert not empty.has_data and empty.nights == 28 and empty.ack_median_s is None
    shown = suppress(empty, 3)
    assert shown["has_data"] is False and shown["events"] == 0 and shown["ack_p90_s"] is None


def test_small_counts_are_suppressed() -> None:
    night = date(2026, 10, 5)
    slot = _wall(night, time(22))
    start = _wall(night, time(23))
    records = Records(
        checkins=[CheckinRecord(night, slot, slot + timedelta(minutes=30), "done", None, "sleeping", slot, True)] * 4
        + [CheckinRecord(night, slot, slot, "overdue")],
        events=[EventRecord(f"b{i}", "bed_exit", start, 2, start + timedelta(minutes=i + 1),
                            start + timedelta(minutes=10), "false_alarm" if i == 0 else "visited") for i in range(3)]
        + [EventRecord("f", "on_floor", start, 4, start + timedelta(minutes=1), start + timedelta(minutes=2),
                       "false_alarm")],
    )
    raw = figures(records, [night], NOW, ZONE)
    shown = suppress(raw, 3)
    assert shown["checkins_done"] == 4 and shown["checkins_missed"] is None and shown["checkins_skipped_other"] == 0
    assert shown["events_by_kind"] == {"bed_exit": 3, "on_floor": None}
    # one false alarm of three bed exits: the rate (1/3 over a shown 3) would give the hidden count away
    assert shown["false_alarm_rate_by_kind"] == {"bed_exit": None, "on_floor": None}
    assert raw.false_alarm_rate_by_kind["bed_exit"] == pytest.approx(1 / 3)
    assert suppress(raw, 1)["false_alarm_rate_by_kind"]["bed_exit"] == pytest.approx(1 / 3, abs=1e-4)
    assert shown["false_alarms"] is None and raw.false_alarms == 2  # 2 < 3
    assert shown["ack_n"] == 4 and shown["ack_median_s"] == pytest.approx(90.0)
    high = suppress(raw, 5)
    assert high["ack_n"] is None and high["ack_median_s"] is None and high["ack_p90_s"] is None
    assert high["response_histogram"] == [None] * len(raw.response_histogram)
    assert suppress(raw, 1)["checkins_missed"] == 1


# --- the API, on a real store and a real Redis ---------------------------------------------------------------

async def _seed(api: Api, rng: random.Random) -> tuple[dict[str, Any], datetime]:
    """A recipient with consent; events on the stream, acknowledgement notices, documented outcomes in the store."""
    rid = await new_recipient(api)
    assert (await api.nurse.post(f"/api/recipients/{rid}/consent", json=terms())).status_code == 201
    now = datetime.now(UTC)
    stream = api.settings.events_stream
    r = redis.Redis.from_url(api.settings.redis_url_or_default(), decode_responses=True)
    engine, sessions = open_store(api.settings.database_url)
    expected: dict[str, Any] = {"kinds": Counter(), "acks": [], "docs": [], "false": 0}
    notices: list[tuple[int, str]] = []
    with sessions() as db:
        for i in range(6):
            kind = "bed_exit" if i < 5 else "on_floor"
            started = (now - timedelta(minutes=60 - i)).replace(microsecond=0)
            event = Event(id=f"FOLLOWUP{i:02d}", node="node-a", room="rum-7", kind=kind,
                          severity=Severity.HIGH if kind == "on_floor" else Severity.MEDIUM, started_at=started)
            r.xadd(stream, {"event": event.model_dump_json()})
            expected["kinds"][kind] += 1
            ack_s = rng.randint(10, 300)
            notices.append((int(started.timestamp() * 1000) + ack_s * 1000, event.id))
            expected["acks"].append(float(ack_s))
            doc_s = ack_s + rng.randint(30, 600)
            outcome = "false_alarm" if i in (0, 1, 2) else "awake_calm"
            expected["false"] += outcome == "false_alarm"
            db.add(Outcome(recipient_id=rid, night=night_of(started, ZONE), event_id=event.id, event_kind=kind,
                           event_at=started, room="rum-7", outcome=outcome, staff="nils",
                           recorded_at=started + timedelta(seconds=doc_s)))
            expected["docs"].append(float(doc_s))
        upsert_staff(db, "olle", PASSWORD, "ops", "Olle Drift")
    for at_ms, event_id in sorted(notices):  # a notice's entry id is the moment of acknowledgement
        r.xadd(f"{stream}:acks", {"event_id": event_id, "by": "nils"}, id=f"{at_ms}-0")
        db.commit()
    engine.dispose()
    r.close()
    return expected, now


async def test_the_api_roles_csv_and_report(api: Api) -> None:
    expected, now = await _seed(api, random.Random(7))
    month = f"{night_of(now, ZONE):%Y-%m}"
    assert (await api.night.get("/api/followup")).status_code == 403
    assert (await api.night.get("/api/followup/csv")).status_code == 403
    assert (await api.night.get("/api/followup/report")).status_code == 403
    assert (await api.anon.get("/api/followup")).status_code == 401
    async with httpx.AsyncClient(transport=api.nurse._transport, base_url="http://test") as ops:
        assert (await ops.post("/api/login", json={"username": "olle", "password": PASSWORD})).status_code == 200
        as_ops = await ops.get("/api/followup", params={"month": month})
        assert as_ops.status_code == 200, as_ops.text

    response = await api.nurse.get("/api/followup", params={"month": month})
    assert response.status_code == 200, response.text
    body = response.json()
    total = body["total"]
    assert as_ops.json()["total"] == total and body["min_count"] == 3 and body["has_data"]
    assert total["events"] == 6 and total["events_by_kind"] == {"bed_exit": 5, "on_floor": None}  # 1 < 3
    assert total["ack_n"] == 6 and total["ack_median_s"] == pytest.approx(float(np.median(expected["acks"])))
    assert total["ack_p90_s"] == pytest.approx(float(np.percentile(expected["acks"], 90, method="inverted_cdf")))
    assert total["documented_median_s"] == pytest.approx(float(np.median(expected["docs"])))
    assert total["false_alarms"] == expected["false"] == 3
    assert total["false_alarm_rate_by_kind"] == {"bed_exit": pytest.approx(0.6), "on_floor": None}
    assert total["false_alarms_by_kind"] == {"bed_exit": 3, "on_floor": 0}
    assert total["events_by_severity"] == {"3": 5, "4": None}
    assert total["consent_changes"] is None  # one consent recorded: fewer than three
    tonight = [n for n in body["nights"] if n["night"] == night_of(now, ZONE).isoformat()]
    assert len(tonight) == 1 and tonight[0]["events"] == 6
    assert len(body["nights"]) == len(month_nights(int(month[:4]), int(month[5:])))
    assert sum(w["nights"] for w in body["weeks"]) == len(body["nights"])
    assert "Greta" not in response.text  # aggregates only

    exported = await api.nurse.get("/api/followup/csv", params={"month": month})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows[-1]["period"] == month and rows[-1]["events"] == "6" and rows[-1]["false_alarms"] == "3"
    assert rows[-1]["ack_median_s"] == f"{np.median(expected['acks']):.1f}"
    assert rows[-1]["events:bed_exit"] == "5" and rows[-1]["events:on_floor"] == "<3"
    assert rows[-1]["false_alarms:bed_exit"] == "3" and rows[-1]["false_alarm_rate:bed_exit"] == "0.6000"
    assert rows[-1]["false_alarm_rate:on_floor"] == ""  # one documented event: no rate
    assert [r["period"] for r in rows[:len(body["nights"])]] == [n["night"] for n in body["nights"]]

    for lang, words in (("sv", "Uppföljning av digital nattillsyn"), ("en", "Follow-up of digital night")):
        page = await api.nurse.get("/api/followup/report", params={"month": month, "lang": lang})
        assert page.status_code == 200 and words in page.text and 'id="events"' in page.text
        assert "&lt;3" in page.text and "Greta" not in page.text

    empty = await api.nurse.get("/api/followup", params={"month": "2001-01"})
    assert empty.status_code == 200 and empty.json()["has_data"] is False and empty.json()["total"]["events"] == 0
    page = await api.nurse.get("/api/followup/report", params={"month": "2001-01"})
    assert "Inga uppgifter för den här perioden." in page.text and 'id="no-data"' in page.text
    for bad in ("2026-13", "26-01", "2026-1x"):
        assert (await api.nurse.get("/api/followup", params={"month": bad})).status_code == 422, bad


def test_stream_events_are_joined_with_outcomes_and_acks() -> None:
    """An event trimmed from the stream still counts from its documented outcome (severity unknown)."""
    from central.followup.store import join_events

    started = datetime(2026, 10, 3, 23, 0, tzinfo=UTC)
    stream = {"A": {"seq": 1, "kind": "on_floor", "severity": 4, "started_at": started, "ended_at": None}}
    rows = [Outcome(event_id="A", event_kind="on_floor", event_at=started, outcome="awake_calm",
                    recorded_at=started + timedelta(minutes=4), night=date(2026, 10, 3), room="r", staff="s"),
            Outcome(event_id="A", event_kind="on_floor", event_at=started, outcome="false_alarm",
                    recorded_at=started + timedelta(minutes=9), night=date(2026, 10, 3), room="r", staff="s"),
            Outcome(event_id="B", event_kind="bed_exit", event_at=started, outcome="visited",
                    recorded_at=started + timedelta(minutes=2), night=date(2026, 10, 3), room="r", staff="s")]
    joined = {e.event_id: e for e in join_events(stream, {"A": started + timedelta(minutes=1)}, rows)}
    assert joined["A"].documented_at == started + timedelta(minutes=4) and joined["A"].outcome == "false_alarm"
    assert joined["A"].acknowledged_at == started + timedelta(minutes=1) and joined["A"].severity == 4
    assert joined["B"].severity is None and joined["B"].kind == "bed_exit" and joined["B"].acknowledged_at is None
    assert sorted(joined) == ["A", "B"]


@pytest.fixture(params=["sqlite", "postgresql"])
async def exact_api(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Api]:
    """The app with no suppression (threshold 1), so single records show, on both stores."""
    settings = settings.model_copy(update={"central": settings.central.model_copy(update={"followup_min_count": 1})})
    async with serve_on(request.param, settings) as running:
        yield running


async def test_checkins_consent_pauses_and_downtime_from_the_store(exact_api: Api) -> None:
    api = exact_api
    rid = await new_recipient(api)
    assert (await api.nurse.post(f"/api/recipients/{rid}/consent", json=terms())).status_code == 201
    (mine,) = [r for r in (await api.night.get("/api/tonight")).json()["recipients"] if r["id"] == rid]
    (slot,) = [s for s in mine["slots"] if s["state"] == "due"]
    documented = await api.night.post("/api/checkins/outcome", json={
        "recipient_id": rid, "slot_at": slot["slot_at"], "outcome": "sleeping"})
    assert documented.status_code == 201, documented.text
    paused = await api.night.post(f"/api/recipients/{rid}/pause", json={"on_behalf_of": "Greta Andersson"})
    assert paused.status_code == 200, paused.text
    assert (await api.nurse.delete(f"/api/recipients/{rid}/pause")).status_code == 200

    now = datetime.now(UTC).replace(microsecond=0)
    offline = Event(id="FOLLOWUPOFFLINE", node="node-a", room="rum-7", kind="node_offline", severity=Severity.HIGH,
                    started_at=now - timedelta(minutes=30))
    back = offline.model_copy(update={"state": "ended", "seq": 1, "ended_at": now - timedelta(minutes=10)})
    r = redis.Redis.from_url(api.settings.redis_url_or_default(), decode_responses=True)
    for revision in (offline, back):
        r.xadd(api.settings.events_stream, {"event": revision.model_dump_json()})
    r.close()

    body = (await api.nurse.get("/api/followup")).json()
    assert body["min_count"] == 1
    (tonight,) = [n for n in body["nights"] if n["night"] == night_of(now, ZONE).isoformat()]
    assert tonight["checkins_planned"] == 1 and tonight["checkins_done"] == 1 and tonight["checkins_late"] == 0
    assert tonight["visits_avoided"] == 1 and tonight["visits_physical"] == 0
    assert tonight["lookins_digital"] == 0, "documented without looking in: no look-in is counted"
    assert tonight["consent_changes"] == 1 and tonight["pauses"] == 1  # the resume is neither
    assert tonight["events_by_kind"] == {"node_offline": 1} and tonight["events_by_severity"] == {"4": 1}
    assert tonight["outages"] == 1 and tonight["downtime_s"] == pytest.approx(20 * 60)
    assert tonight["ack_n"] == 0 and tonight["ack_median_s"] is None  # an outage is not a care event


async def test_every_figure_on_the_page_from_records_made_through_the_api(exact_api: Api) -> None:
    """The figures the first test above leaves out, each from records made as staff make them: a missed check-in,
    a visit because the camera failed, a check-in the recipient paused, and an alarm acknowledged and documented
    as a false alarm."""
    api = exact_api
    now_local = datetime.now(ZONE)
    missed_at = now_local - timedelta(minutes=45)
    missed_rid = await new_recipient(api, node="node-m")
    scope = {"scheduled": [{"at": f"{missed_at:%H:%M}", "window_min": 20}]}
    assert (await api.nurse.post(f"/api/recipients/{missed_rid}/consent", json=terms(**scope))).status_code == 201
    visited_rid = await new_recipient(api, node="node-v")
    assert (await api.nurse.post(f"/api/recipients/{visited_rid}/consent", json=terms())).status_code == 201
    paused_at = now_local + timedelta(minutes=10)  # a check-in later tonight, inside the pause set now
    paused_rid = await new_recipient(api, node="node-p")
    scope = {"scheduled": [{"at": f"{paused_at:%H:%M}", "window_min": 20}]}
    assert (await api.nurse.post(f"/api/recipients/{paused_rid}/consent", json=terms(**scope))).status_code == 201
    (mine,) = [r for r in (await api.night.get("/api/tonight")).json()["recipients"] if r["id"] == visited_rid]
    (slot,) = [s for s in mine["slots"] if s["state"] == "due"]
    documented = await api.night.post("/api/checkins/outcome", json={
        "recipient_id": visited_rid, "slot_at": slot["slot_at"], "outcome": "camera_failed_visit"})
    assert documented.status_code == 201, documented.text
    paused = await api.night.post(f"/api/recipients/{paused_rid}/pause", json={"on_behalf_of": "Greta Andersson"})
    assert paused.status_code == 200, paused.text

    fall = Event(node="node-v", room="rum-7", kind="on_floor", severity=Severity.HIGH,
                 started_at=datetime.now(UTC) - timedelta(seconds=30))
    r = redis.Redis.from_url(api.settings.redis_url_or_default(), decode_responses=True)
    r.xadd(api.settings.events_stream, {"event": fall.model_dump_json()})
    r.close()
    for _ in range(100):
        if any(e["event"]["id"] == fall.id for e in (await api.night.get("/api/events")).json()):
            break
        await asyncio.sleep(0.05)
    assert (await api.night.post(f"/api/events/{fall.id}/ack")).status_code == 200
    found = await api.night.post(f"/api/events/{fall.id}/outcome", json={"outcome": "false_alarm"})
    assert found.status_code == 201, found.text

    body = (await api.nurse.get("/api/followup")).json()
    nights = {n["night"]: n for n in body["nights"]}
    tonight = nights[night_of(datetime.now(UTC), ZONE).isoformat()]
    assert tonight["checkins_done"] == 1 and tonight["visits_physical"] == 1
    assert tonight["visits_due_to_downtime"] == 1 and tonight["visits_avoided"] == 0
    assert tonight["checkins_skipped_other"] == 0
    assert tonight["events"] == 1 and tonight["false_alarms"] == 1
    assert tonight["ack_n"] == 1 and 25 <= tonight["ack_median_s"] <= 120
    assert tonight["documented_n"] == 1 and tonight["documented_median_s"] >= tonight["ack_median_s"]
    assert tonight["lookins_digital"] == 0 and tonight["relooks"] == 0
    assert nights[night_of(missed_at, ZONE).isoformat()]["checkins_missed"] == 1
    pause_end = datetime.fromisoformat(
        (await api.nurse.get(f"/api/recipients/{paused_rid}/consent")).json()["pauses"][-1]["end"])
    covered = int(paused_at.replace(second=0, microsecond=0) < pause_end)  # 1 unless "now" is minutes before it ends
    assert nights[night_of(paused_at, ZONE).isoformat()]["checkins_skipped_by_recipient"] == covered
