from __future__ import annotations

from central.events.feed import EventFeed
from nattvakt.events import Event


def _event(**kw: object) -> Event:
    return Event.model_validate({"node": "n1", "room": "r1", "kind": "motion", **kw})


def test_duplicates_and_stale_revisions_are_dropped() -> None:
    feed = EventFeed(history=10)
    queue = feed.subscribe()
    opened = _event()
    ended = opened.model_copy(update={"state": "ended", "seq": 1})
    assert feed.add("1-0", opened)
    assert not feed.add("1-0", opened)  # same entry delivered twice
    assert not feed.add("2-0", opened)  # same revision under another entry id
    assert feed.add("3-0", ended)
    assert not feed.add("4-0", opened)  # late older revision does not overwrite
    assert queue.qsize() == 2
    item = feed.get(opened.id)
    assert item is not None and item.event.state == "ended"
    assert item.entry_ids == ["1-0", "2-0", "3-0", "4-0"]


def _settle(feed: EventFeed, event: Event) -> None:
    item = feed.get(event.id)
    assert item is not None
    feed.acknowledge(event.id, "anna")
    item.entry_ids.clear()  # acknowledged: nothing left to XACK


def test_history_is_bounded_and_newest_first() -> None:
    feed = EventFeed(history=3)
    events = [_event() for _ in range(5)]
    for n, event in enumerate(events):
        feed.add(f"{n}-0", event)
        _settle(feed, event)
    assert [item.event.id for item in feed.recent()] == [e.id for e in reversed(events[2:])]


def test_events_awaiting_acknowledgement_are_never_evicted() -> None:
    feed = EventFeed(history=3)
    waiting = _event(kind="on_floor", severity=4)
    feed.add("0-0", waiting)
    for n in range(1, 6):
        settled = _event()
        feed.add(f"{n}-0", settled)
        _settle(feed, settled)
    assert len(feed) == 3
    assert feed.get(waiting.id) is not None


def test_late_duplicate_of_an_evicted_event_is_still_recognised() -> None:
    feed = EventFeed(history=2)
    first = _event()
    feed.add("0-0", first)
    _settle(feed, first)
    for n in range(1, 4):
        other = _event()
        feed.add(f"{n}-0", other)
        _settle(feed, other)
    assert feed.get(first.id) is None
    assert not feed.add("9-0", first)
    assert feed.get(first.id) is None


def test_feed_keeps_stream_order_when_older_entries_arrive_late() -> None:
    """Entries claimed from a dead instance are older than what was read since; they slot in by stream id."""
    feed = EventFeed(history=10)
    a, b, c = _event(), _event(), _event()
    feed.add("300-0", c)
    feed.add("100-0", a)
    feed.add("200-5", b)
    assert [item.event.id for item in feed.recent()] == [c.id, b.id, a.id]


def test_unknown_fields_survive_a_round_trip() -> None:
    event = Event.model_validate({"node": "n", "room": "r", "kind": "motion", "future_field": {"a": 1}})
    decoded = Event.from_stream_fields(event.to_stream_fields())
    assert decoded.model_extra == {"future_field": {"a": 1}}
