"""A login paused after failed tries says so on the page, counts down, and says what to do (not "wrong password")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from nattvakt.settings import Settings
from tests.accessibility import assert_accessible
from tests.browser import NEEDS_CHROMIUM, SCREENSHOTS, chromium
from tests.console_page import log_in
from tests.processes import central_running

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]

LOCKOUT_S = 4


def _try(page: Page, password: str) -> None:
    """One login attempt, waiting for central's answer (tries must not overtake each other)."""
    page.get_by_label("Lösenord").fill(password)
    with page.expect_response(lambda response: response.url.endswith("/api/login")):
        page.get_by_role("button", name="Logga in").click()


def _seconds_left(page: Page) -> int:
    found = re.search(r"(\d+):(\d\d)", page.locator("#login-paused-text").inner_text())
    assert found, page.locator("#login-paused-text").inner_text()
    return int(found[1]) * 60 + int(found[2])


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (390, 844)])
def test_a_locked_out_login_shows_the_pause_counts_down_and_then_lets_in(
    settings: Settings, staff_login: dict[str, str], tmp_path: Path, width: int, height: int
) -> None:
    with central_running(settings, tmp_path, central__login_lockout_after="2",
                         central__login_lockout_base_s=str(LOCKOUT_S)) as base, \
            chromium(tmp_path / "profile", width, height) as browser:
        page = browser.new_page()
        page.goto(base)
        page.get_by_label("Användarnamn").fill("anna")
        _try(page, "fel-lösenord")
        expect(page.locator("#login-error")).to_have_text("Fel användarnamn eller lösenord.")
        _try(page, "fel-lösenord")  # the second failure earns the lockout: the page says so at once

        paused = page.locator("#login-paused")
        expect(paused).to_contain_text("Inloggningen är pausad")
        expect(paused).to_contain_text("kollega")  # what to do meanwhile
        expect(page.locator("#login-error")).not_to_contain_text("Fel användarnamn")
        expect(page.get_by_role("button", name="Logga in")).to_be_disabled()
        right = page.request.post(f"{base}/api/login", data={"username": "anna", "password": staff_login["password"]})
        assert right.status == 429, "even the right password is refused while paused"
        first = _seconds_left(page)
        assert 1 <= first <= LOCKOUT_S
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"login-paused-{width}x{height}.png"))
        assert_accessible(page, "login paused")
        page.wait_for_function(  # counts down
            f"() => !/\\b0:0{first}\\b/.test(document.getElementById('login-paused-text').textContent)")

        page.get_by_role("button", name="English").click()
        expect(paused).to_contain_text("Login is paused")

        expect(paused).to_be_hidden(timeout=(LOCKOUT_S + 2) * 1000)
        expect(page.locator("#login-error")).to_have_text("You can try again now.")
        page.get_by_role("button", name="Svenska").click()
        log_in(page, base)
