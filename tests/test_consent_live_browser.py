"""Consent changes reach every open console live: a pause takes "Titta in" off the due check-in on two open
consoles within seconds (no reload; the check-ins' own refresh is 30 s), and ending it brings it back. "Titta in"
is offered only where consent allows it now; elsewhere one line says why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from central.db import open_store
from central.demo_seed import seed_demo
from central.staff.service import upsert_staff
from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from tests.browser import NEEDS_CHROMIUM
from tests.conftest import STAFF_PASSWORD
from tests.console_page import log_in, publish
from tests.processes import central_running

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]

LIVE_MS = 5000
"""Well under the check-ins' 30 s refresh: only the live notice can make it."""


@pytest.fixture
def seeded_console(settings: Settings, staff_login: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, int]]:
    """Central with the demo recipient (a check-in due now, camera allowed); yields its URL and the recipient id."""
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        rid = seed_demo(db, "node-b12", "B12", ZoneInfo("Europe/Stockholm"))
        upsert_staff(db, "sara", STAFF_PASSWORD, "nurse_admin")
    engine.dispose()
    assert rid is not None
    with central_running(settings, tmp_path) as base:
        yield base, rid


def _look_in_offered(page: Page) -> None:
    due = page.locator("li.checkin.state-due")
    expect(due).to_have_count(1, timeout=LIVE_MS)
    expect(due.get_by_role("button", name="Titta in")).to_be_visible()


def test_a_pause_and_its_end_reach_every_open_console_live(
    seeded_console: tuple[str, int], browser: BrowserContext
) -> None:
    base, rid = seeded_console
    first, second = browser.new_page(), browser.new_page()
    log_in(first, base)
    second.goto(base)  # the same login, a second open console
    for page in (first, second):
        _look_in_offered(page)

    with httpx.Client(base_url=base) as sara:
        assert sara.post("/api/login", json={"username": "sara", "password": STAFF_PASSWORD}).status_code == 200
        paused = sara.post(f"/api/recipients/{rid}/pause", json={"on_behalf_of": "Greta"})
        assert paused.status_code == 200, paused.text
        for page in (first, second):
            skipped = page.locator("li.checkin.state-skipped", has_text="pausad av brukaren")
            expect(skipped.first).to_be_visible(timeout=LIVE_MS)
            expect(page.get_by_role("button", name="Titta in")).to_have_count(0)

        assert sara.delete(f"/api/recipients/{rid}/pause").status_code == 200
        for page in (first, second):
            _look_in_offered(page)


def test_look_in_is_offered_only_where_consent_allows_it_now_and_elsewhere_one_line_says_why(
    seeded_console: tuple[str, int], browser: BrowserContext, settings: Settings
) -> None:
    base, rid = seeded_console
    page = browser.new_page()
    log_in(page, base)
    fall = Event(node="node-b12", room="B12", kind="on_floor", severity=Severity.HIGH)
    fault = Event(node="node-b12", room="B12", kind="camera_fault", severity=Severity.HIGH)
    for event in (fall, fault):
        publish(settings, event)
    fall_card, fault_card = (page.locator(f'li[data-event-id="{e.id}"]') for e in (fall, fault))
    expect(fall_card.get_by_role("button", name="Titta in")).to_be_visible()
    not_consented = "Det går inte att titta in: Inget samtycke till att titta in vid den här händelsen."
    expect(fault_card).to_contain_text(not_consented)
    expect(fault_card.get_by_role("button", name="Titta in")).to_have_count(0)

    with httpx.Client(base_url=base) as sara:
        assert sara.post("/api/login", json={"username": "sara", "password": STAFF_PASSWORD}).status_code == 200
        assert sara.post(f"/api/recipients/{rid}/pause", json={"on_behalf_of": "Greta"}).status_code == 200
    paused = "Det går inte att titta in: Brukaren har pausat kameran."
    expect(fall_card).to_contain_text(paused, timeout=LIVE_MS)
    expect(page.locator("li.checkin.state-due")).to_contain_text(paused, timeout=LIVE_MS)
    expect(page.get_by_role("button", name="Titta in")).to_have_count(0)
    page.get_by_role("button", name="English").click()
    expect(fall_card).to_contain_text("Cannot look in:")
