"""Driving the console page in a browser test: put an event on the stream, log in as night staff."""

from __future__ import annotations

import redis
from playwright.sync_api import Page, expect

from nattvakt.events import Event
from nattvakt.settings import Settings
from tests.conftest import STAFF_PASSWORD
from tests.signed import node_fields


def publish(settings: Settings, event: Event) -> None:
    """Put the event on the stream as a node would."""
    client = redis.Redis.from_url(settings.redis_url_or_default())
    fields = node_fields(settings, event)
    client.xadd(settings.events_stream, fields)
    client.close()


def log_in(page: Page, base: str) -> None:
    """Log in as night staff `anna` (the `staff_login` fixture) and wait for the live feed."""
    page.goto(base)
    page.get_by_label("Användarnamn").fill("anna")
    page.get_by_label("Lösenord").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", name="Händelser")).to_be_visible()
    expect(page.locator("#connection")).to_have_text("Ansluten")
    expect(page.locator("#login")).to_be_hidden()
