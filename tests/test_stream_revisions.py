"""The live stream sends every revision as it was: an event that opens and ends in one read of the bus reaches the
page as its open revision, then its end (not the end twice). Central runs as a real process; the stream is read
over HTTP as a browser's EventSource reads it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from tests.conftest import STAFF_PASSWORD
from tests.processes import central_running
from tests.signed import node_fields

pytestmark = pytest.mark.slow


@pytest.fixture
def console(settings: Settings, staff_login: dict[str, str], tmp_path: Path) -> Iterator[str]:
    with central_running(settings, tmp_path) as base:
        yield base


def _events(lines: Iterator[str], event_id: str, count: int, within_s: float = 10.0) -> list[dict[str, Any]]:
    """The first `count` `event` messages about `event_id` on the stream."""
    found: list[dict[str, Any]] = []
    kind = ""
    deadline = time.monotonic() + within_s
    for line in lines:
        if time.monotonic() > deadline:
            break
        if line.startswith("event:"):
            kind = line.removeprefix("event:").strip()
        elif line.startswith("data:") and kind == "event":
            entry = json.loads(line.removeprefix("data:"))
            if entry["event"]["id"] == event_id:
                found.append(entry["event"])
                if len(found) == count:
                    return found
    raise AssertionError(f"only {found} within {within_s} s")


def test_an_event_that_opens_and_ends_together_is_streamed_as_both_revisions(
    console: str, settings: Settings
) -> None:
    opened = Event(node="n1", room="B3", kind="bed_exit", severity=Severity.MEDIUM)
    ended = opened.model_copy(update={"state": "ended", "seq": 1, "ended_at": opened.started_at})
    with httpx.Client(base_url=console, timeout=httpx.Timeout(10.0)) as http:
        assert http.post("/api/login", json={"username": "anna", "password": STAFF_PASSWORD}).status_code == 200
        with http.stream("GET", "/api/events/stream") as stream:
            lines = stream.iter_lines()
            assert any(line.startswith("event: bus") or line == "event:bus" for line in lines)  # subscribed
            client = redis.Redis.from_url(settings.redis_url_or_default())
            with client.pipeline(transaction=True) as both:  # one read of the bus carries both revisions
                for revision in (opened, ended):
                    both.xadd(settings.events_stream, node_fields(settings, revision))
                both.execute()
            client.close()
            shown = _events(lines, opened.id, 2)
    assert [(e["state"], e["seq"]) for e in shown] == [("open", 0), ("ended", 1)]
