"""A look-in in headless Chromium: real central and node processes, the console's "Titta in" button, and a video
element that plays the node's private picture (videoWidth > 0, frames counted with requestVideoFrameCallback)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
from playwright.sync_api import BrowserContext, expect

from central.db import open_store
from central.staff.service import upsert_staff
from nattvakt.events import Event, Severity
from nattvakt.redis_server import RedisServer, free_port
from privacy.levels import OUTGOING_WIDTH
from tests.browser import NEEDS_CHROMIUM, SCREENSHOTS, chromium
from tests.lookin_parts import face_clip
from tests.processes import nattvakt_env, running

PASSWORD = "natt-test-lösen"
NODE = "node-web"
# Else host candidates are mDNS names: ~1 s to resolve.
WEBRTC_FLAGS = ("--disable-features=WebRtcHideLocalIpsWithMdns",)

pytestmark = [
    pytest.mark.browser, pytest.mark.slow,
    NEEDS_CHROMIUM,
]


@dataclass
class Site:
    base: str
    redis_url: str
    stream: str


def _terms() -> dict[str, Any]:
    now_local = datetime.now(ZoneInfo("Europe/Stockholm"))
    start = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    return {"given_by": [{"role": "recipient", "name": "Greta Andersson"}], "given_at": start, "valid_from": start,
            "scope": {"scheduled": [{"at": f"{now_local:%H:%M}", "window_min": 20}], "event_kinds": ["on_floor"],
                      "privacy_level": "heavy_blur", "max_lookin_s": 12}}


@pytest.fixture
def site(redis_server: RedisServer, tmp_path: Path) -> Iterator[Site]:
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'nattvakt.db'}"
    engine, sessions = open_store(database_url)
    with sessions() as db:
        upsert_staff(db, "sara", PASSWORD, "nurse_admin")
        upsert_staff(db, "nils", PASSWORD, "night_staff", "Nils Natt")
    engine.dispose()
    common = {"redis_url": redis_server.url, "database_url": database_url, "data_dir": str(tmp_path),
              "events_stream": "web:events", "central__port": str(port)}
    base = f"http://127.0.0.1:{port}"
    with running(["central"], nattvakt_env(**common), tmp_path / "central.log", health_url=f"{base}/healthz"):
        with httpx.Client(base_url=base) as nurse:
            assert nurse.post("/api/login", json={"username": "sara", "password": PASSWORD}).status_code == 200
            rid = nurse.post("/api/recipients", json={"name": "Greta", "room": "rum-9"}).json()["id"]
            assert nurse.post(f"/api/recipients/{rid}/consent", json=_terms()).status_code == 201
            assert nurse.put(f"/api/nodes/{NODE}", json={"recipient_id": rid}).status_code == 200
        node_env = nattvakt_env(**common, node__node_id=NODE, node__room="rum-9", node__source=str(face_clip()),
                                node__fps="10", node__perception_enabled="false")
        with running(["node"], node_env, tmp_path / "node.log"):
            yield Site(base, redis_server.url, "web:events")
    redis.Redis.from_url(redis_server.url).delete("web:events")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    with chromium(tmp_path / "profile", 1024, 900, WEBRTC_FLAGS) as context:
        yield context


COUNT_FRAMES = """(video) => new Promise((resolve) => {
  let frames = 0; const began = performance.now();
  const step = () => { frames += 1; if (frames >= 10) resolve({frames, width: video.videoWidth});
                       else video.requestVideoFrameCallback(step); };
  video.requestVideoFrameCallback(step);
  setTimeout(() => resolve({frames, width: video.videoWidth, waited: performance.now() - began}), 8000);
})"""


def test_staff_click_look_in_and_see_the_private_picture(site: Site, browser: BrowserContext) -> None:
    page = browser.new_page()
    page.goto(site.base)
    page.get_by_label("Användarnamn").fill("nils")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", name="Händelser")).to_be_visible()
    expect(page.locator("#connection")).to_have_text("Ansluten")  # the live feed is subscribed: no event is missed

    event = Event(node=NODE, room="rum-9", kind="on_floor", severity=Severity.HIGH)
    client = redis.Redis.from_url(site.redis_url)
    client.xadd(site.stream, event.to_stream_fields())  # type: ignore[arg-type]
    client.close()
    card = page.locator(f'li[data-event-id="{event.id}"]')
    button = card.locator(".lookin-button")
    expect(button).to_be_visible(timeout=15000)
    expect(button).to_have_text("Titta in")
    page.evaluate("() => { window.__clicked = performance.now(); }")
    button.click()
    video = page.locator("#lookin-video")
    expect(page.locator("#lookin")).to_be_visible()
    page.wait_for_function("() => document.querySelector('#lookin-video').videoWidth > 0", timeout=15000)
    first_ms = page.evaluate("() => performance.now() - window.__clicked")
    print(f"Chromium: video playing {first_ms:.0f} ms after the click")
    counted = video.evaluate(COUNT_FRAMES)
    # Sent at the size heavy_blur needs (`privacy.levels`); the video element scales it up.
    assert counted["frames"] >= 10 and counted["width"] == OUTGOING_WIDTH["heavy_blur"], counted
    expect(page.locator("#lookin-status")).to_have_text("Direktbild, integritetsskyddad")
    expect(page.locator("#lookin-countdown")).to_contain_text("s kvar")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "lookin-sv.png"))
    # The event is acknowledged (by a colleague): the reason expired, the node ends the stream, the console says so.
    acked = page.evaluate(f"async () => (await fetch('/api/events/{event.id}/ack', {{method: 'POST'}})).status")
    assert acked == 200
    expect(page.locator("#lookin-status")).to_have_text("Händelsen kvitterades. Tittningen är slut.", timeout=5000)
    page.locator("#lookin-close").click()
    expect(page.locator("#lookin")).to_be_hidden()
    assert first_ms < 5000, f"video played {first_ms:.0f} ms after the click"  # p50 in benchmarks.lookin
