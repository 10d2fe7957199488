"""Alarms not getting through is itself an alarm: with Redis stopped, or central gone, the console turns red within
seconds, a failed acknowledgement says so and is retried, and all of it clears by itself on recovery."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from tests.accessibility import assert_accessible
from tests.browser import NEEDS_CHROMIUM, SCREENSHOTS
from tests.conftest import RestartableRedis
from tests.console_page import log_in, publish
from tests.processes import central_running

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]

DOWN_SV = "Larm kommer inte fram — ring driften / gör fysiska besök"
WITHIN_MS = 6000
"""'Within a few seconds': central notices a lost Redis at once, the page a lost central after 3 s of retrying."""


def test_a_stopped_bus_turns_the_console_red_and_it_clears_by_itself(
    restartable_redis: RestartableRedis, settings: Settings, staff_login: dict[str, str], browser: BrowserContext,
    tmp_path: Path,
) -> None:
    own_redis = restartable_redis
    settings = settings.model_copy(update={"redis_url": own_redis.url})
    page = browser.new_page()
    banner = page.locator("#bus-down")
    with central_running(settings, tmp_path) as base:
        log_in(page, base)
        event = Event(node="n1", room="B12", kind="on_floor", severity=Severity.HIGH)
        publish(settings, event)
        card = page.locator(f'li[data-event-id="{event.id}"]')
        expect(card).to_be_visible()
        expect(banner).to_be_hidden()

        own_redis.stop()
        expect(banner).to_contain_text(DOWN_SV, timeout=WITHIN_MS)
        expect(page.locator("#connection")).not_to_have_text("Ansluten")
        card.get_by_role("button", name="Kvittera").click()
        expect(card.locator(".ack-failed")).to_have_text("Kvitteringen gick inte fram — försöker igen…")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "bus-down-1024x768.png"))
        assert_accessible(page, "bus down")
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(SCREENSHOTS / "bus-down-390x844.png"))
        page.get_by_role("button", name="English").click()
        expect(banner).to_contain_text("Alarms are not getting through — call IT support / make physical rounds")

        own_redis.restart()
        expect(banner).to_be_hidden(timeout=15_000)
        expect(card).to_contain_text("Acknowledged by anna", timeout=10_000)  # the retry went through
        expect(card.locator(".ack-failed")).to_have_count(0)
        expect(page.locator("#connection")).to_have_text("Connected")
    # central is gone now (Redis still runs): the page notices by itself
    expect(banner).to_contain_text("Alarms are not getting through", timeout=WITHIN_MS)
