"""The console as an installed app in headless Chromium: manifest, a service worker that keeps the shell working
offline, and a forwarded alarm shown as a notification (the push delivered to the worker through DevTools, as a
push service would deliver it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from nattvakt.settings import Settings
from tests.browser import NEEDS_CHROMIUM, SCREENSHOTS
from tests.console_page import log_in
from tests.processes import central_running

pytestmark = [pytest.mark.browser, NEEDS_CHROMIUM]


@pytest.fixture
def console(settings: Settings, staff_login: dict[str, str], tmp_path: Path) -> Iterator[str]:
    with central_running(settings, tmp_path) as base:
        yield base


def test_installed_console_works_offline_and_shows_a_forwarded_alarm(console: str, browser: BrowserContext) -> None:
    browser.grant_permissions(["notifications"], origin=console)
    page = browser.new_page()
    log_in(page, console)
    manifest = page.request.get(f"{console}/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["display"] == "standalone" and manifest.json()["start_url"] == "/"
    for icon in manifest.json()["icons"]:
        assert page.request.get(f"{console}{icon['src']}").ok
    page.wait_for_function("navigator.serviceWorker.controller !== null || (location.reload(), false)",
                           polling=1000, timeout=15_000)
    page.wait_for_function("caches.has('nattvakt-shell-v1')")

    browser.set_offline(True)
    try:
        page.goto(console)
        expect(page.get_by_role("heading", name="Nattvakt", exact=True)).to_be_visible()
        page.goto(f"{console}/visits")
        expect(page.get_by_role("heading", name="Besök och samtal")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "visits-offline-sv.png"))
    finally:
        browser.set_offline(False)

    page.goto(console)
    cdp = browser.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(500)
    (registration,) = {r["registrationId"]: r for r in registrations if not r.get("isDeleted")}.values()
    alarm = {"event_id": "01JTEST", "kind": "on_floor", "severity": "HIGH", "room": "B12",
             "started_at": "2026-12-03T01:30:00+00:00", "round": 2, "link": f"{console}/#event-01JTEST"}
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": console, "registrationId": registration["registrationId"],
                                                  "data": json.dumps(alarm)})
    shown: list[list[str]] = []
    for _ in range(50):  # the worker shows it asynchronously
        shown = page.evaluate("navigator.serviceWorker.ready.then(r => r.getNotifications())"
                              ".then(ns => ns.map(n => [n.title, n.tag, n.body]))")
        if shown:
            break
        page.wait_for_timeout(100)
    assert [n[:2] for n in shown] == [["LARM: Ligger på golvet · Rum B12", "01JTEST"]]
    assert shown[0][2].endswith(" · 2"), "the round is told"
