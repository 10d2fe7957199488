"""Every page of the console, the reports and the recipient's page, in headless Chromium at a tablet's and a phone's
size: axe-core (injected by Playwright) finds no serious or critical violation, nothing overflows the phone's width,
every target is at least 44 px, and on a portrait tablet the feed starts on the first screen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from central.consent import service
from central.db import open_store
from central.staff.service import upsert_staff
from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from privacy.consent_model import ConsentTerms
from tests.accessibility import assert_accessible
from tests.browser import NEEDS_CHROMIUM, SCREENSHOTS, chromium
from tests.conftest import STAFF_PASSWORD
from tests.console_page import publish
from tests.processes import central_running

pytestmark = [pytest.mark.browser, NEEDS_CHROMIUM]

TARGETS = "a[href], button, select, input:not([type=radio]):not([type=checkbox]), .choice"
SMALL_TARGETS = f"""() => [...document.querySelectorAll('{TARGETS}')]
  .filter((el) => el.checkVisibility() && !el.closest('dialog:not([open])'))
  .map((el) => {{ const r = el.getBoundingClientRect();
                  return {{ what: el.outerHTML.slice(0, 80), w: Math.round(r.width), h: Math.round(r.height) }}; }})
  .filter((t) => t.w < 44 || t.h < 44)"""
OVERFLOW = """() => ({ page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth,
  out: [...document.querySelectorAll('header *')].filter((el) => el.checkVisibility())
    .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
    .map((el) => el.outerHTML.slice(0, 60)) })"""


@dataclass
class Site:
    base: str
    recipient_id: int
    code: str


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Iterator[Site]:
    """Central with night staff, a nurse, one recipient whose check-in is due now, and a few events of the night."""
    engine, sessions = open_store(settings.database_url)
    start = datetime.now(UTC) - timedelta(days=1)
    now_local = datetime.now(ZoneInfo("Europe/Stockholm"))
    with sessions() as db:
        upsert_staff(db, "anna", STAFF_PASSWORD, "night_staff")
        upsert_staff(db, "sara", STAFF_PASSWORD, "nurse_admin")
        recipient = service.create_recipient(db, "Greta Andersson", "B12", "sara")
        service.record_terms(db, recipient.id, ConsentTerms.model_validate({
            "given_by": [{"role": "recipient", "name": "Greta Andersson"}], "given_at": start, "valid_from": start,
            "scope": {"scheduled": [{"at": f"{now_local:%H:%M}", "window_min": 30}], "event_kinds": ["on_floor"],
                      "privacy_level": "silhouette"},
        }), "sara")
        code = service.issue_access_code(db, recipient.id, "sara")
        rid = recipient.id
    engine.dispose()
    with central_running(settings, tmp_path) as base:
        for event in (
                Event(node="n1", room="B12", kind="on_floor", severity=Severity.HIGH, recipient="Greta Andersson"),
                Event(node="n2", room="B14", kind="bed_exit", severity=Severity.MEDIUM),
                Event(node="n2", room="B14", kind="motion"),
                Event(node="n3", room="B15", kind="person_entered")):
            publish(settings, event)
        yield Site(base, rid, code)


@pytest.fixture(params=[(1024, 768), (768, 1024), (390, 844)], ids=["tablet", "portrait", "phone"])
def page(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Page]:
    width, height = request.param
    with chromium(tmp_path / "profile", width, height) as context:
        yield context.new_page()


def check(page: Page, name: str) -> None:
    """axe-core, and on a phone: nothing wider than the screen, no target under 44 px; then a screenshot."""
    size = page.viewport_size or {"width": 0, "height": 0}
    where = f"{name} at {size['width']}x{size['height']}"
    assert_accessible(page, where)
    if size["width"] < 600:
        overflow = page.evaluate(OVERFLOW)
        assert overflow["page"] <= overflow["view"] and not overflow["out"], f"{where}: too wide: {overflow}"
    small = page.evaluate(SMALL_TARGETS)
    assert not small, f"{where}: targets under 44x44 px: {small}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"a11y-{name}-{size['width']}x{size['height']}.png"))


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(base)
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator("#connection")).to_have_text("Ansluten")


def test_night_staff_pages(site: Site, page: Page) -> None:
    page.goto(site.base)
    expect(page.get_by_label("Användarnamn")).to_be_visible()
    check(page, "login")

    log_in(page, site.base, "anna")
    expect(page.locator("li.room")).to_have_count(2)
    expect(page.locator("li.checkin.state-due")).to_have_count(1)
    feed_top = page.locator("#feed-section").bounding_box()
    assert feed_top is not None and feed_top["y"] < 400, f"the feed starts below the first screen: {feed_top}"
    check(page, "console")
    page.get_by_role("button", name="Alla", exact=True).click()
    expect(page.locator("li.room")).to_have_count(3)
    check(page, "console-all")
    page.locator("li.checkin.state-due").get_by_role("button", name="Dokumentera").click()
    expect(page.locator("#outcome-dialog")).to_be_visible()
    check(page, "document")
    page.locator("#outcome-dialog").get_by_label("Sover").check()
    page.locator("#outcome-dialog").get_by_role("button", name="Spara").click()
    expect(page.locator("li.checkin.state-done")).to_have_count(1)
    check(page, "console-documented")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Events")).to_be_visible()
    check(page, "console-en")
    page.get_by_role("button", name="Svenska").click()

    page.goto(f"{site.base}/api/reports/night?format=html")
    check(page, "night-report")


def test_nurse_and_recipient_pages(site: Site, page: Page) -> None:
    log_in(page, site.base, "sara")
    expect(page.locator("#followup-section")).to_be_visible()
    check(page, "console-nurse")
    page.goto(f"{site.base}/api/followup/report")
    check(page, "followup-report")
    page.goto(f"{site.base}/api/recipients/{site.recipient_id}/transparency")
    check(page, "transparency")

    page.goto(f"{site.base}/p/{site.code}")
    expect(page.locator("h1")).to_have_text("Kameran hos Greta Andersson")
    check(page, "recipient")
    page.goto(f"{site.base}/p/{site.code}/transparency")
    check(page, "recipient-transparency")
