"""The live streams' shared round (`central.events.stream_gate`): every console's login is checked, together, before
its events are rendered; a logged-out or expired login gets nothing, and each item is rendered once for all."""

from __future__ import annotations

import asyncio

from central.db import open_store
from central.events.feed import EventFeed
from central.events.stream_gate import StreamGate
from central.staff.service import close_session, live_tokens, open_session, staff_for_token, upsert_staff
from nattvakt.events import Event, Severity
from nattvakt.settings import Settings


async def test_one_round_checks_every_login_and_renders_for_the_live_ones(settings: Settings) -> None:
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        staff = [upsert_staff(db, name, "lösenord-för-test-1", "night_staff") for name in ("anna", "bo", "cia")]
        anna, bo, cia = (open_session(db, member, 8) for member in staff)
        expired = open_session(db, staff[2], -1)
        close_session(db, bo)
    feed = EventFeed(10)
    event = Event(node="n1", room="Rum 3", kind="on_floor", severity=Severity.HIGH)
    feed.add("1-0", event)
    item = feed.get(event.id)
    assert item is not None
    gate = StreamGate(sessions, feed)
    answers = await asyncio.gather(*(gate.check_and_render(token, [item]) for token in (anna, bo, cia, expired)))
    assert answers[1] is None and answers[3] is None, "a logged-out and an expired login get nothing"
    assert answers[0] is not None and answers[2] is not None
    assert [entry.event.id for entry in answers[0]] == [event.id]
    assert answers[0][0] is answers[2][0], "rendered once for every console in the round"
    assert answers[0][0].lookin is not None and answers[0][0].lookin.allowed is False  # no camera assigned
    with sessions() as db:
        assert live_tokens(db, [anna, bo, cia, expired]) == {anna, cia}
        assert {t for t in (anna, bo, cia, expired) if staff_for_token(db, t) is not None} == {anna, cia}
        assert live_tokens(db, []) == set()
    engine.dispose()
