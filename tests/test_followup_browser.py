"""The follow-up page in headless Chromium: a nurse_admin sees the month's figures and plots (Swedish, English),
an empty month says so plainly, and night staff never see the section. Central runs as a real process."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
from playwright.sync_api import BrowserContext, Page, expect

from central.db import open_store
from central.demo_seed import seed_demo
from central.night.models import Outcome
from central.staff.service import upsert_staff
from nattvakt.events import Event, Severity
from nattvakt.night import night_of
from nattvakt.settings import Settings
from tests.browser import CHROMIUM, SCREENSHOTS
from tests.conftest import STAFF_PASSWORD
from tests.console_page import publish
from tests.processes import central_running

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
EVENTS = 24

HOME = ZoneInfo("Europe/Stockholm")


def _seed(settings: Settings) -> None:
    """The demo recipient, and a fortnight of events with acknowledgements and documented outcomes (seeded)."""
    rng = random.Random(11)
    now = datetime.now(UTC).replace(microsecond=0)
    month_start = now.replace(day=1, hour=12)
    r = redis.Redis.from_url(settings.redis_url_or_default(), decode_responses=True)
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        assert seed_demo(db, "node-b12", "B12", ZoneInfo("Europe/Stockholm")) is not None
        upsert_staff(db, "sara", STAFF_PASSWORD, "nurse_admin", "Sara Sjuksköterska")
        notices = []
        for i in range(EVENTS):
            started = max(now - timedelta(hours=rng.randint(1, 14 * 24)), month_start + timedelta(hours=i))
            kind = rng.choice(["bed_exit", "on_floor", "left_room"])
            event = Event(id=f"FOLLOWUPBROWSER{i:02d}", node="node-b12", room="B12", kind=kind,
                          severity=Severity.HIGH if kind == "on_floor" else Severity.MEDIUM, started_at=started,
                          state="ended", ended_at=started + timedelta(minutes=3))
            publish(settings, event)
            ack = started + timedelta(seconds=rng.randint(20, 400))
            notices.append((int(ack.timestamp() * 1000), event.id))
            db.add(Outcome(recipient_id=None, night=night_of(started, HOME), event_id=event.id, event_kind=kind,
                           event_at=started, room="B12", outcome=rng.choice(["false_alarm", "awake_calm", "visited"]),
                           staff="anna", recorded_at=ack + timedelta(seconds=rng.randint(30, 1500))))
        db.commit()
    for at_ms, event_id in sorted(notices):
        r.xadd(f"{settings.events_stream}:acks", {"event_id": event_id, "by": "anna"}, id=f"{at_ms}-0")
    r.close()
    engine.dispose()


@pytest.fixture
def followup_console(settings: Settings, staff_login: dict[str, str], tmp_path: Path) -> Iterator[str]:
    _seed(settings)
    with central_running(settings, tmp_path) as base:
        yield base


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(base)
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator("#login")).to_be_hidden()


def test_the_follow_up_page(followup_console: str, browser: BrowserContext) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, followup_console, "sara")

    section = page.locator("#followup-section")
    expect(section.get_by_role("heading", name="Uppföljning")).to_be_visible()
    events_row = page.locator("#followup-figures tr[data-key='events']")
    expect(events_row).to_contain_text(str(EVENTS))  # the whole month's column
    expect(page.locator("#followup-trend rect[fill='#58a6ff']")).not_to_have_count(0)
    week_labels = page.locator("#followup-trend text", has_text=re.compile(r"^v\. \d{1,2}$"))  # not "W49"
    expect(week_labels.first).to_be_visible()
    expect(page.locator("#followup-trend text", has_text=re.compile(r"W\d"))).to_have_count(0)
    expect(page.locator("#followup-response rect")).not_to_have_count(0)
    assert "Greta" not in section.inner_text()
    month = f"{datetime.now(UTC):%Y-%m}"
    expect(page.locator("#followup-csv")).to_have_attribute("href", f"/api/followup/csv?month={month}")
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "followup-sv.png"), full_page=True)

    page.get_by_role("button", name="English").click()
    expect(section.get_by_role("heading", name="Follow-up")).to_be_visible()
    expect(page.locator("#followup-trend text", has_text=re.compile(r"^wk \d{1,2}$")).first).to_be_visible()
    expect(page.locator("#followup-print")).to_have_attribute("href", f"/api/followup/report?month={month}&lang=en")
    page.screenshot(path=str(SCREENSHOTS / "followup-en.png"), full_page=True)
    report = browser.new_page()
    report.goto(f"{followup_console}/api/followup/report?month={month}")
    expect(report.get_by_role("heading", level=1)).to_have_text(f"Uppföljning av digital nattillsyn {month}")
    expect(report.locator("#events tr").last).to_contain_text(str(EVENTS))
    expect(report.locator("#weeks tbody tr").first).to_contain_text(re.compile(r"^v\. \d{1,2}"))
    report.emulate_media(media="print")
    report.screenshot(path=str(SCREENSHOTS / "followup-report-print.png"), full_page=True)
    report.close()

    page.locator("#followup-month").fill("2001-01")
    page.locator("#followup-month").dispatch_event("change")
    expect(page.locator("#followup-empty")).to_have_text("No data for this period.")
    assert errors == []


def test_night_staff_do_not_see_it(followup_console: str, browser: BrowserContext) -> None:
    page = browser.new_page()
    _log_in(page, followup_console, "anna")
    expect(page.get_by_role("heading", name="I natt")).to_be_visible()
    expect(page.locator("#followup-section")).to_be_hidden()
    assert page.context.request.get(f"{followup_console}/api/followup").status == 403
