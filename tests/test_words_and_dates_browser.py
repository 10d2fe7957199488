"""The console's words and dates tell which night and what happened: every check-in shows its date, and a lost
camera is named in Swedish ("Kameran svarar inte"), not "Kamera offline"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, expect

from central.db import open_store
from central.demo_seed import seed_demo
from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from tests.browser import NEEDS_CHROMIUM
from tests.console_page import log_in, publish
from tests.processes import central_running

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]

HOME = ZoneInfo("Europe/Stockholm")
SV_MONTHS = ("jan", "feb", "mars", "apr", "maj", "juni", "juli", "aug", "sep", "okt", "nov", "dec")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@pytest.fixture
def seeded_console(settings: Settings, staff_login: dict[str, str], tmp_path: Path) -> Iterator[str]:
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        assert seed_demo(db, "node-b12", "B12", HOME) is not None
    engine.dispose()
    with central_running(settings, tmp_path) as base:
        yield base


def test_checkins_show_their_date_and_a_lost_camera_is_named_in_swedish(
    seeded_console: str, browser: BrowserContext, settings: Settings
) -> None:
    page = browser.new_page()
    log_in(page, seeded_console)
    due = page.locator("li.checkin.state-due")
    expect(due).to_have_count(1)
    slot_at = datetime.fromisoformat(due.get_attribute("data-slot-at") or "").astimezone(HOME)
    expect(due.locator("strong")).to_contain_text(f"{slot_at.day} {SV_MONTHS[slot_at.month - 1]}")
    expect(due.locator("strong")).to_contain_text(f"{slot_at:%H:%M}")

    lost = Event(node="node-b12", room="B12", kind="node_offline", severity=Severity.HIGH,
                 started_at=datetime.now(UTC))
    publish(settings, lost)
    card = page.locator(f'li[data-event-id="{lost.id}"]')
    expect(card).to_contain_text("Kameran svarar inte")
    expect(page.locator("#alert")).to_contain_text("Kameran svarar inte")

    page.get_by_role("button", name="English").click()
    expect(due.locator("strong")).to_contain_text(f"{slot_at.day} {EN_MONTHS[slot_at.month - 1]}")
    expect(card).to_contain_text("Camera not responding")
