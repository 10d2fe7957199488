"""A night at the console in headless Chromium: log in, document a due check-in, react to a live alarm, hand over.

Central runs as a real process on a store seeded as `nattvakt demo` seeds it (a recipient whose window is open now).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, expect

from central.db import open_store
from central.demo_seed import DEMO_RECIPIENT, seed_demo
from central.staff.service import upsert_staff
from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from tests.browser import CHROMIUM, SCREENSHOTS
from tests.console_page import log_in, publish
from tests.processes import central_running

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def night_console(settings: Settings, staff_login: dict[str, str], tmp_path: Path) -> Iterator[str]:
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        assert seed_demo(db, "node-b12", "B12", ZoneInfo("Europe/Stockholm")) is not None
    engine.dispose()
    with central_running(settings, tmp_path) as base:
        yield base


def test_a_night_at_the_console(night_console: str, browser: BrowserContext, settings: Settings,
                                tmp_path: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, night_console)

    # a check-in is due now
    expect(page.get_by_role("heading", name="I natt")).to_be_visible()
    due = page.locator("li.checkin.state-due")
    expect(due).to_have_count(1)
    expect(due).to_contain_text(DEMO_RECIPIENT)
    expect(due).to_contain_text("Att göra nu")
    expect(due.locator(".lookin-button[data-reason='scheduled']")).to_have_count(1)  # the look-in's place
    page.screenshot(path=str(SCREENSHOTS / "tonight-sv.png"), full_page=True)

    # document it: the person was not visible, so a re-look comes back in 15 minutes
    due.get_by_role("button", name="Dokumentera").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Syns inte").check()
    dialog.get_by_label("Anteckning (frivillig)").fill("Täcket över huvudet, andas lugnt")
    page.screenshot(path=str(SCREENSHOTS / "document-sv.png"))
    dialog.get_by_role("button", name="Spara").click()
    expect(dialog).to_be_hidden()
    done = page.locator("li.checkin.state-done")
    expect(done).to_contain_text("Syns inte av anna")
    expect(done).to_contain_text("Täcket över huvudet")
    relook = page.locator("li.checkin.state-upcoming", has_text="Titta igen")
    expect(relook).to_have_count(1)

    # a fall arrives live: alarm banner, then acknowledge and document it
    event = Event(node="node-b12", room="B12", recipient=DEMO_RECIPIENT, kind="on_floor", severity=Severity.HIGH)
    publish(settings, event)
    card = page.locator(f'li[data-event-id="{event.id}"]')
    expect(card).to_contain_text("Ligger på golvet", timeout=5000)
    banner = page.locator("#alert")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("LARM: Ligger på golvet · Rum B12")
    page.screenshot(path=str(SCREENSHOTS / "alarm-sv.png"), full_page=True)
    card.get_by_role("button", name="Kvittera").click()
    expect(card).to_contain_text("Kvitterad av anna")
    expect(banner).to_be_hidden()
    card.get_by_role("button", name="Dokumentera").click()
    dialog.get_by_label("Besökt").check()
    dialog.get_by_role("button", name="Spara").click()
    expect(dialog).to_be_hidden()

    # English, then the handover report
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Tonight")).to_be_visible()
    expect(done).to_contain_text("Not visible by anna")
    page.screenshot(path=str(SCREENSHOTS / "tonight-en.png"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Night report (CSV)").click()
    saved = tmp_path / "report.csv"
    download_info.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert [(r["kind"], r["outcome"], r["staff"]) for r in rows if r["outcome"]] == [
        ("checkin", "not_visible", "anna"), ("on_floor", "visited", "anna")]
    with page.context.expect_page() as report_info:
        page.get_by_role("link", name="Night report (print)").click()
    report = report_info.value
    expect(report.get_by_role("heading", name="Night report", exact=False)).to_be_visible()
    expect(report.locator("#checkins")).to_contain_text("not visible")
    expect(report.locator("#events")).to_contain_text("visited")
    report.screenshot(path=str(SCREENSHOTS / "night-report-en.png"), full_page=True)


def test_expired_session_keeps_what_was_typed_and_ops_is_turned_away(
    night_console: str, browser: BrowserContext, settings: Settings
) -> None:
    page = browser.new_page()
    log_in(page, night_console)
    page.locator("li.checkin.state-due").get_by_role("button", name="Dokumentera").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Sover").check()
    dialog.get_by_label("Anteckning (frivillig)").fill("Sov gott kl 23")
    page.context.clear_cookies()  # the session is gone, as after 12 hours
    dialog.get_by_role("button", name="Spara").click()
    expect(page.locator("#login")).to_be_visible()
    page.get_by_label("Användarnamn").fill("anna")
    page.get_by_label("Lösenord").fill("natt-test-lösen")
    page.get_by_role("button", name="Logga in").click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Anteckning (frivillig)")).to_have_value("Sov gott kl 23")
    expect(dialog.get_by_label("Sover")).to_be_checked()
    dialog.get_by_role("button", name="Spara").click()
    expect(page.locator("li.checkin.state-done")).to_contain_text("Sover av anna")

    # an ops login has no business in the night console
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        upsert_staff(db, "olle", "drift-lösen-1", "ops")
    engine.dispose()
    page.get_by_role("button", name="Logga ut").click()
    page.get_by_label("Användarnamn").fill("olle")
    page.get_by_label("Lösenord").fill("drift-lösen-1")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert")).to_have_text("Den här inloggningen har inte tillgång till nattkonsolen.")
    expect(page.locator("#tonight-section")).to_be_hidden()
    expect(page.locator("#feed-section")).to_be_hidden()
