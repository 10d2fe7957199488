"""The municipal chain on the demo in headless Chromium: the console documents, the patrol's phone page calls and
visits, and a late visit raises the alarm on the console.

Central runs as a real process on a store seeded as `nattvakt demo` seeds it (a check-in is due now, and the
recipient's record has a phone number). Screenshots of the phone page (390x844) and the console (1024x768).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Page, ViewportSize, expect

from central.db import open_store
from central.demo_seed import DEMO_PHONE, DEMO_RECIPIENT, seed_demo
from central.staff.service import upsert_staff
from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from tests.browser import NEEDS_CHROMIUM, SCREENSHOTS
from tests.conftest import STAFF_PASSWORD
from tests.console_page import log_in, publish
from tests.processes import central_running

pytestmark = [pytest.mark.browser, NEEDS_CHROMIUM]
PHONE: ViewportSize = {"width": 390, "height": 844}
TABLET: ViewportSize = {"width": 1024, "height": 768}


@pytest.fixture
def demo(settings: Settings, staff_login: dict[str, str], tmp_path: Path) -> Iterator[str]:
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        assert seed_demo(db, "node-b12", "B12", ZoneInfo("Europe/Stockholm")) is not None
    with sessions() as db:
        upsert_staff(db, "sara", STAFF_PASSWORD, "nurse_admin")
    engine.dispose()
    with central_running(settings, tmp_path, central__visit_check_every_s="0.2",
                         central__followup_min_count="1") as base:
        yield base


def _document(page: Page, card_state: str, outcome: str) -> None:
    page.locator(f"li.checkin.state-{card_state}").first.get_by_role("button", name="Dokumentera").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label(outcome).check()
    dialog.get_by_role("button", name="Spara").click()
    expect(dialog).to_be_hidden()


def _phone_page(browser: BrowserContext, base: str) -> Page:
    phone = browser.new_page()
    phone.set_viewport_size(PHONE)
    phone.goto(f"{base}/visits")
    expect(phone.get_by_role("heading", name="Besök och samtal")).to_be_visible()
    return phone


def test_not_visible_twice_then_no_answer_sends_the_patrol(demo: str, browser: BrowserContext) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    console = browser.new_page()
    log_in(console, demo)
    _document(console, "due", "Syns inte")
    expect(console.locator("li.checkin.state-upcoming", has_text="Titta igen")).to_have_count(1)
    _document(console, "upcoming", "Syns inte")  # the re-look: still not visible
    console.reload()
    expect(console.locator("#visits-link")).to_have_text("Besök och samtal (1 samtal, 0 besök)")
    console.screenshot(path=str(SCREENSHOTS / "tonight-call-waiting-sv.png"), full_page=True)

    phone = _phone_page(browser, demo)
    call = phone.locator("li.task.call")
    expect(call).to_contain_text(DEMO_RECIPIENT)
    ring = call.get_by_role("link", name=f"Ring {DEMO_PHONE}")
    expect(ring).to_have_attribute("href", "tel:0701740605")
    phone.screenshot(path=str(SCREENSHOTS / "visits-call-phone-sv.png"), full_page=True)
    call.get_by_role("button", name="Inget svar").click()
    expect(call).to_have_count(0)

    visit = phone.locator("li.task.visit")
    expect(visit).to_contain_text("Svarade inte i telefon")
    expect(visit.locator(".left")).to_have_text(re.compile(r"^4[45] min kvar$"))
    phone.screenshot(path=str(SCREENSHOTS / "visits-visit-phone-sv.png"), full_page=True)
    for step, state in (("På väg", "På väg"), ("Framme", "Framme")):
        visit.get_by_role("button", name=step, exact=True).click()
        expect(visit.locator(".state")).to_have_text(state)
    expect(visit.get_by_role("button", name="På väg")).to_have_count(0)
    visit.get_by_role("button", name="Klar …").click()
    visit.get_by_role("button", name="Allt väl").click()
    expect(visit).to_contain_text("Klar · Allt väl")
    expect(visit).to_have_class(re.compile(r"state-done"))
    for button in phone.locator("button:visible, a:visible").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44, button.inner_text()

    phone.get_by_role("button", name="English").click()
    expect(visit).to_contain_text("Done · All well")
    phone.set_viewport_size(TABLET)
    phone.screenshot(path=str(SCREENSHOTS / "visits-tablet-en.png"), full_page=True)

    figures = console.request.get(f"{demo}/api/visits/figures").json()
    assert figures["visits_by_cause"] == {"no_answer": 1}
    assert (figures["calls_made"], figures["calls_answered"], figures["visits_late"]) == (1, 0, 0)


def test_a_fall_in_time_and_one_past_the_promise(demo: str, browser: BrowserContext, settings: Settings) -> None:
    console = browser.new_page()
    log_in(console, demo)
    phone = _phone_page(browser, demo)
    now = datetime.now(UTC)
    publish(settings, Event(node="node-b12", room="B12", recipient=DEMO_RECIPIENT, kind="on_floor",
                            severity=Severity.HIGH))
    publish(settings, Event(node="node-b12", room="B12", recipient=DEMO_RECIPIENT, kind="on_floor",
                            severity=Severity.HIGH, started_at=now - timedelta(minutes=50)))
    visits = phone.locator("li.task.visit")
    expect(visits).to_have_count(2, timeout=10_000)
    late, in_time = visits.nth(0), visits.nth(1)  # soonest promise first: the late one on top
    expect(late).to_have_class(re.compile(r"\blate\b"))
    expect(late.locator(".left")).to_have_text(re.compile(r"^[56] min försenat$"))
    expect(in_time).not_to_have_class(re.compile(r"\blate\b"))

    alarm = console.locator("li.event", has_text="Besök försenat")
    expect(alarm).to_have_class(re.compile(r"sev-4"), timeout=10_000)
    # The feed redraws a room's row on each acknowledgement: take the first waiting fall each time.
    waiting = console.locator("li.event", has_text="Ligger på golvet").get_by_role("button", name="Kvittera")
    for left in (2, 1):
        expect(waiting).to_have_count(left)
        waiting.first.click()
    expect(waiting).to_have_count(0)
    expect(console.locator("#alert")).to_have_text("LARM: Besök försenat · Rum B12")
    console.screenshot(path=str(SCREENSHOTS / "visit-overdue-console-sv.png"))
    phone.screenshot(path=str(SCREENSHOTS / "visits-late-phone-sv.png"), full_page=True)

    late.get_by_role("button", name="Framme").click()
    expect(late.locator(".left")).to_have_text(re.compile(r"^Framme [56] min efter utlovad tid$"))
    in_time.get_by_role("button", name="Framme").click()
    expect(in_time.locator(".left")).to_have_text("Framme i tid")
    expect(alarm).to_have_class(re.compile(r"state-ended"), timeout=10_000)
    figures = console.request.get(f"{demo}/api/visits/figures").json()
    assert figures["visits_by_cause"] == {"on_floor": 2} and figures["visits_late"] == 1
    assert figures["arrival_n"] == 2 and figures["arrival_p90_s"] >= 50 * 60 > figures["arrival_median_s"]

    # the handover report and the month's follow-up show them
    console.goto(f"{demo}/api/reports/night?format=html")
    visits_table = console.locator("#visits")
    expect(visits_table).to_contain_text("på golvet")
    expect(visits_table.locator("tr.overdue")).to_have_count(1)
    expect(console.locator("#visit-figures")).to_contain_text("Besök efter utlovad tid")
    console.screenshot(path=str(SCREENSHOTS / "night-report-visits-sv.png"), full_page=True)
    assert console.request.post(f"{demo}/api/login", data={"username": "sara", "password": STAFF_PASSWORD}).ok
    console.goto(f"{demo}/api/followup/report")
    month = console.locator("#visit-figures")
    expect(month).to_contain_text("på golvet")
    expect(month.locator("tr", has_text="Besök efter utlovad tid")).to_contain_text("1")
    month.scroll_into_view_if_needed()
    console.screenshot(path=str(SCREENSHOTS / "followup-visits-sv.png"))
