"""The calm feed: a night of events at a 1024x768 tablet, grouped by room, with only what needs action in view.

Informational events (motion, a person entering, a light change) never wait for acknowledgement, open or ended:
central settles them by policy (`central.events.feed.needs_acknowledgement`) and the page folds them into the room's
row. HIGH and MEDIUM events wait for staff and are all on screen without scrolling.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from playwright.sync_api import BrowserContext, expect

from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from tests.accessibility import assert_accessible
from tests.browser import NEEDS_CHROMIUM, SCREENSHOTS
from tests.conftest import STAFF_PASSWORD
from tests.console_page import log_in
from tests.processes import central_running

pytestmark = [pytest.mark.browser, NEEDS_CHROMIUM]

ROOMS = [f"{n}" for n in (101, 102, 103, 104, 105, 106, 107, 108)]
INFO_KINDS = ("motion", "person_entered", "light_change")


def _night(seed: int = 17) -> tuple[list[Event], list[Event]]:
    """About 20 minutes of a demo night in 8 rooms: ~75 informational events, 4 that need staff.

    Returns (informational, needing action); every informational situation opens and most end again."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(minutes=20)
    info: list[Event] = []
    for n in range(75):
        room = rng.choice(ROOMS)
        at = start + timedelta(seconds=16 * n)
        opened = Event(node=f"node-{room}", room=room, kind=rng.choice(INFO_KINDS), severity=Severity.INFO,
                       started_at=at)
        info.append(opened)
        if n % 3:
            info.append(opened.model_copy(update={"seq": 1, "state": "ended", "ended_at": at + timedelta(seconds=9)}))
    action = [
        Event(node="node-103", room="103", kind="on_floor", severity=Severity.HIGH, recipient="Greta Andersson",
              started_at=start + timedelta(minutes=18)),
        Event(node="node-106", room="106", kind="bed_exit", severity=Severity.MEDIUM,
              started_at=start + timedelta(minutes=5)),
        Event(node="node-106", room="106", kind="person_not_visible", severity=Severity.MEDIUM,
              started_at=start + timedelta(minutes=12)),
        Event(node="node-101", room="101", kind="left_room", severity=Severity.MEDIUM,
              started_at=start + timedelta(minutes=15)),
    ]
    return info, action


def _publish_all(settings: Settings, events: list[Event]) -> None:
    client = redis.Redis.from_url(settings.redis_url_or_default())
    pipe = client.pipeline()
    for event in events:
        fields: dict[Any, Any] = event.to_stream_fields()
        pipe.xadd(settings.events_stream, fields)
    pipe.execute()
    client.close()


def _pending(settings: Settings) -> int:
    client = redis.Redis.from_url(settings.redis_url_or_default())
    try:
        return int(client.xpending(settings.events_stream, "console")["pending"])
    finally:
        client.close()


@pytest.fixture
def console(settings: Settings, staff_login: dict[str, str], tmp_path: Path) -> Iterator[str]:
    with central_running(settings, tmp_path) as base:
        yield base


def test_informational_events_never_wait_for_acknowledgement(console: str, settings: Settings) -> None:
    """An open motion event is settled by policy at once (XACKed, nothing to press); a MEDIUM one waits."""
    motion = Event(node="n1", room="7", kind="motion", severity=Severity.INFO)  # opened, not (yet) ended
    bed_exit = Event(node="n1", room="7", kind="bed_exit", severity=Severity.MEDIUM)
    _publish_all(settings, [motion, bed_exit])
    with httpx.Client(base_url=console) as staff:
        assert staff.post("/api/login", json={"username": "anna", "password": STAFF_PASSWORD}).status_code == 200
        deadline = time.monotonic() + 10
        entries: dict[str, Any] = {}
        while time.monotonic() < deadline and len(entries) < 2:
            entries = {e["event"]["id"]: e for e in staff.get("/api/events").json()}
            time.sleep(0.1)
    assert entries[motion.id]["needs_acknowledgement"] is False
    assert entries[bed_exit.id]["needs_acknowledgement"] is True
    assert _pending(settings) == 1, "only the bed exit's entry waits for staff; the open motion event is settled"


def test_a_night_of_events_is_calm_at_1024x768(console: str, browser: BrowserContext, settings: Settings) -> None:
    page = browser.new_page()
    log_in(page, console)
    info, action = _night()
    _publish_all(settings, info + action)
    acked = Event(node="node-104", room="104", kind="bed_exit", severity=Severity.MEDIUM)
    _publish_all(settings, [acked])

    feed = page.locator("#feed")
    expect(feed.locator("li.event")).to_have_count(len(action) + 1, timeout=10000)
    page.locator(f'li[data-event-id="{acked.id}"]').get_by_role("button", name="Kvittera").click()
    expect(page.locator(f'li[data-event-id="{acked.id}"]')).to_contain_text("Kvitterad av anna")
    # acknowledged and then ended: settled, so it leaves "needs action"
    _publish_all(settings, [acked.model_copy(update={"seq": 1, "state": "ended", "ended_at": datetime.now(UTC)})])
    expect(page.locator(f'li[data-event-id="{acked.id}"]')).to_have_count(0)

    # One row per room with something open, the worst first; informational events are no cards of their own.
    rows = feed.locator("li.room")
    expect(rows).to_have_count(3)
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.room)") == ["103", "106", "101"]
    expect(feed.locator("li.event[data-kind='motion']")).to_have_count(0)
    expect(rows.first.locator(".waiting")).to_have_text("1 att kvittera")
    situations = page.locator("li.room[data-room='106'] li.event")
    assert situations.evaluate_all("xs => xs.map(x => x.dataset.kind)") == ["person_not_visible", "bed_exit"]
    room_103_info = sum(1 for e in info if e.room == "103" and e.seq == 0)
    expect(page.locator("li.room[data-room='103'] .folded")).to_contain_text("senast")
    folded = page.locator("li.room[data-room='103'] .folded").inner_text()
    assert sum(int(part.split("×")[1].split()[0]) for part in folded.split(" · ") if "×" in part) == room_103_info
    expect(page.locator("#quiet-rooms")).to_contain_text("5 rum utan något att göra")

    # Everything that needs action is on screen without scrolling.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "feed-calm-1024x768.png"))
    height = page.viewport_size["height"] if page.viewport_size else 768
    for button in page.get_by_role("button", name="Kvittera").all():
        box = button.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box
    assert page.evaluate("() => window.scrollY") == 0
    assert_accessible(page, "calm feed")

    # "All": every room, with the acknowledged one; a room on its own.
    page.get_by_role("button", name="Alla", exact=True).click()
    expect(rows).to_have_count(len(ROOMS))
    expect(page.locator(f'li[data-event-id="{acked.id}"]')).to_contain_text("Kvitterad av anna")
    page.get_by_label("Rum att visa").select_option("106")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-room", "106")
    page.get_by_role("button", name="Behöver åtgärd").click()
    expect(rows).to_have_count(1)
    page.get_by_label("Rum att visa").select_option("")
    expect(rows).to_have_count(3)
