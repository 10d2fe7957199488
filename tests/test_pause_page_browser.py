"""The recipient's page in headless Chromium: pause tonight with one big button, switch language, read the report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from central.consent import service
from central.db import open_store
from nattvakt.settings import Settings
from privacy.consent_model import ConsentTerms
from tests.browser import NEEDS_CHROMIUM, SCREENSHOTS, chromium
from tests.processes import central_running

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]


@pytest.fixture
def personal_link(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A running central with one recipient whose consent allows look-ins on falls; yields (page URL, id)."""
    engine, sessions = open_store(settings.database_url)
    start = datetime.now(UTC) - timedelta(days=1)
    with sessions() as db:
        recipient = service.create_recipient(db, "Greta Andersson", "rum-7", "sara")
        service.record_terms(db, recipient.id, ConsentTerms.model_validate({
            "given_by": [{"role": "recipient", "name": "Greta Andersson"}], "given_at": start, "valid_from": start,
            "scope": {"scheduled": [{"at": "23:00", "window_min": 15}, {"at": "03:00", "window_min": 15}],
                      "event_kinds": ["on_floor"], "privacy_level": "silhouette"},
        }), "sara")
        code = service.issue_access_code(db, recipient.id, "sara")
        rid = recipient.id
    engine.dispose()
    with central_running(settings, tmp_path) as base:
        yield f"{base}/p/{code}", rid


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[Page]:
    with chromium(tmp_path / "profile", 390, 844) as context:
        yield context.new_page()


def test_recipient_pauses_tonight_and_reads_the_report(
    personal_link: tuple[str, int], phone: Page, settings: Settings
) -> None:
    url, rid = personal_link
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.goto(url)
    expect(phone.locator("h1")).to_have_text("Kameran hos Greta Andersson")
    expect(phone.locator("#state li").first).to_have_text("23:00 ± 15 min")
    button = phone.locator("#pause")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 60 and box["width"] >= 300, f"the button must be large: {box}"
    phone.screenshot(path=str(SCREENSHOTS / "pause-page-sv.png"), full_page=True)

    button.click()
    expect(phone.locator("#state")).to_contain_text("Kameran är pausad till")
    # with its day: "till fredag 4 december 08:00", not just "till 08:00"
    expect(phone.locator("#state")).to_contain_text(re.compile(r"pausad till \w+dag \d{1,2} \w+ \d\d:\d\d\."))
    # what the node does while paused (tests/test_pause_node.py): nothing from the room, only camera faults
    expect(phone.locator("#state")).to_contain_text("inget från rummet skickas till personalen")
    expect(phone.locator("#state")).to_contain_text("Bara fel på själva kameran")
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        consent = service.current_consent(db, rid)
    engine.dispose()
    assert consent is not None and consent.pauses and consent.pauses[-1].set_by == "recipient"

    phone.get_by_text("In English").click()
    expect(phone.locator("#state")).to_contain_text("The camera is paused until")
    expect(phone.locator("#state")).to_contain_text(re.compile(r"paused until \w+day \d{1,2} \w+ \d\d:\d\d\."))
    phone.screenshot(path=str(SCREENSHOTS / "pause-page-en-paused.png"), full_page=True)
    phone.locator("#resume").click()
    expect(phone.locator("#state")).to_contain_text("The camera is on")

    phone.locator("#report").click()
    expect(phone.locator("h1")).to_have_text("Who has looked? Report for Greta Andersson")
    expect(phone.locator("#changes")).to_contain_text("paused tonight by the recipient or a relative")
    phone.screenshot(path=str(SCREENSHOTS / "transparency-en.png"), full_page=True)
