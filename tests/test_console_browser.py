"""The console in headless Chromium (Debian's, driven by Playwright): log in and see events arrive live."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from tests.browser import NEEDS_CHROMIUM, SCREENSHOTS
from tests.console_page import log_in, publish
from tests.processes import central_running

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]


@pytest.fixture
def console(settings: Settings, staff_login: dict[str, str], tmp_path: Path) -> Iterator[str]:
    with central_running(settings, tmp_path) as base:
        yield base


def test_event_appears_live_within_a_second(console: str, browser: BrowserContext, settings: Settings) -> None:
    page = browser.new_page()
    page.goto(console)
    page.get_by_label("Användarnamn").fill("anna")
    page.get_by_label("Lösenord").fill("fel-lösenord")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert")).to_have_text("Fel användarnamn eller lösenord.")
    log_in(page, console)
    expect(page.get_by_text("Inga händelser ännu.")).to_be_visible()

    event = Event(node="n1", room="B12", kind="on_floor", severity=Severity.HIGH)
    sent = time.monotonic()
    publish(settings, event)
    card = page.locator(f'li[data-event-id="{event.id}"]')
    expect(card).to_contain_text("Ligger på golvet", timeout=5000)
    delay = time.monotonic() - sent
    assert delay < 1.0, f"event took {delay:.3f} s to appear"
    expect(page.locator("li.room", has=card)).to_contain_text("Rum B12")  # the room's row holds its situations
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "feed-sv.png"))

    card.get_by_role("button", name="Kvittera").click()
    expect(card).to_contain_text("Kvitterad av anna")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Events")).to_be_visible()
    expect(page.locator("#connection")).to_have_text("Connected")
    expect(card).to_contain_text("On the floor")
    expect(card).to_contain_text("Acknowledged by anna")
    page.screenshot(path=str(SCREENSHOTS / "feed-en.png"))


def test_feed_survives_a_reload_without_showing_duplicates(
    console: str, browser: BrowserContext, settings: Settings
) -> None:
    page = browser.new_page()
    log_in(page, console)
    event = Event(node="n1", room="B7", kind="bed_exit", severity=Severity.MEDIUM)
    publish(settings, event)
    publish(settings, event)
    expect(page.locator("#feed li.event")).to_have_count(1)
    page.reload()
    expect(page.locator("#feed li.event")).to_have_count(1)
    expect(page.locator(f'li[data-event-id="{event.id}"]')).to_contain_text("Lämnade sängen")


def test_ending_the_session_elsewhere_returns_the_page_to_the_login(
    console: str, browser: BrowserContext, settings: Settings
) -> None:
    """A logout (another tab, an admin's password reset) ends the live feed: the stream re-checks the session
    before each event (and every 30 s), says `session_ended`, and the page shows the login instead of
    reconnecting; the event behind it is not delivered to the ended session."""
    page = browser.new_page()
    log_in(page, console)
    event = Event(node="n1", room="Rum 3", kind="bed_exit", severity=Severity.MEDIUM)
    publish(settings, event)
    expect(page.locator(f'li[data-event-id="{event.id}"]')).to_be_visible()
    assert page.request.post(f"{console}/api/logout").ok  # same cookie, outside the page's own code
    later = Event(node="n1", room="Rum 3", kind="on_floor", severity=Severity.HIGH)
    publish(settings, later)
    expect(page.locator("#login")).to_be_visible(timeout=5000)
    expect(page.locator("#feed li")).to_have_count(0)
    expect(page.locator(f'li[data-event-id="{later.id}"]')).to_have_count(0)
