"""The manager's and ops' screens in headless Chromium, as the people would use them: a nurse_admin creates a
recipient with consent and look-in windows and finds them among tonight's check-ins; ops pair a camera node, draw a
bed on its view and the running node's rules use it at once (a person lying there is in bed, not on the floor)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from camera_node.consent_sync import ConsentWatcher
from camera_node.lookin_runtime import LookinRuntime
from camera_node.rules.room import RoomRules
from camera_node.rules.tracker import PersonBox
from camera_node.rules.zones import RoomZones
from central.db import open_store
from central.staff.service import upsert_staff
from nattvakt.events import Origin
from nattvakt.geometry import Box
from nattvakt.settings import NodeSettings, RuleSettings, Settings
from tests.browser import NEEDS_CHROMIUM, SCREENSHOTS, chromium
from tests.conftest import STAFF_PASSWORD
from tests.lookin_parts import camera
from tests.processes import central_running

pytestmark = [pytest.mark.browser, NEEDS_CHROMIUM]
STOCKHOLM = ZoneInfo("Europe/Stockholm")
NODE = "kamera-12"
LYING_ON_BED: Box = (0.15, 0.55, 0.55, 0.75)
"""A person lying where the bed will be drawn (a wide, low box)."""


@pytest.fixture
def central(settings: Settings, tmp_path: Path) -> Iterator[str]:
    engine, sessions = open_store(settings.database_url)
    with sessions() as db:
        upsert_staff(db, "sara", STAFF_PASSWORD, "nurse_admin")
        upsert_staff(db, "olle", STAFF_PASSWORD, "ops")
    engine.dispose()
    with central_running(settings, tmp_path) as base:
        yield base


def log_in(page: Page, base: str, user: str) -> None:
    """On the screens' own login (the night console lets only care staff in)."""
    page.goto(f"{base}/manage")
    page.get_by_label("Användarnamn").fill(user)
    page.get_by_label("Lösenord").fill("fel")
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator("[data-error-for='']")).not_to_be_empty()
    page.get_by_label("Lösenord").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("navigation")).to_contain_text("Rum och kameror")


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (390, 844)])
def test_a_manager_sets_up_a_recipient_with_consent_and_sees_tonights_checkins(
    central: str, tmp_path: Path, width: int, height: int
) -> None:
    size = f"{width}x{height}"
    with chromium(tmp_path / "profile", width, height) as context:
        page = context.new_page()
        log_in(page, central, "sara")
        expect(page.get_by_role("heading", name="Brukare", exact=True)).to_be_visible()
        page.get_by_role("button", name="Skapa").click()
        expect(page.locator("[data-error-for=name]")).not_to_be_empty()  # a name is needed: said at the field
        page.get_by_label("Namn", exact=True).fill("Greta Andersson")
        page.get_by_label("Rum", exact=True).fill("rum-7")
        page.get_by_role("button", name="Skapa").click()
        expect(page.get_by_role("heading", name="Greta Andersson")).to_be_visible()
        expect(page.locator("h2 .badge")).to_have_text("Inget samtycke")

        form = page.locator("#consent")
        form.locator("[name=grantor_name]").fill("Greta Andersson")
        page.get_by_role("button", name="Lägg till person").click()
        form.locator("[name=grantor_name]").nth(1).fill("Karl Andersson")
        form.locator("[name=grantor_role]").nth(1).select_option("co_resident")
        yesterday = page.evaluate("""() => { const d = new Date(Date.now() - 86400000);
            const p = (n) => String(n).padStart(2, "0");
            return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:`
                   + p(d.getMinutes()); }""")
        page.get_by_label("Gäller från").fill(yesterday)
        page.get_by_label("Samtycke givet").fill(yesterday)
        now_local = datetime.now(STOCKHOLM)
        windows = form.locator(".window")
        windows.nth(0).locator("[name=window_at]").fill(f"{now_local:%H:%M}")
        windows.nth(1).locator("[name=window_at]").fill(f"{now_local + timedelta(minutes=10):%H:%M}")  # overlaps
        form.get_by_text("Lämnade sängen").click()
        form.get_by_text("pixlad bild").click()
        page.get_by_role("button", name="Spara ny version").click()
        expect(form.locator("[data-error-for='scope.scheduled']")).to_contain_text("overlaps")

        windows.nth(1).locator("[name=window_at]").fill(f"{now_local + timedelta(hours=4):%H:%M}")
        page.get_by_label("Gäller till (frivilligt)").fill(yesterday)  # before "valid from"
        page.get_by_role("button", name="Spara ny version").click()
        until_error = form.locator("[data-error-for=valid_until]")
        expect(until_error).to_have_text("”Gäller till” måste vara efter ”Gäller från”.")
        page.get_by_label("Gäller till (frivilligt)").fill("")
        shoot(page, f"manage-consent-editor-{size}")
        page.get_by_role("button", name="Spara ny version").click()

        expect(page.locator("h2 .badge")).to_have_text("Giltigt")
        expect(page.locator("#tonight .slot").first).to_contain_text("Att göra nu")
        expect(page.locator("#history tbody tr")).to_have_count(1)
        expect(page.locator("#history")).to_contain_text("sara")

        page.get_by_role("link", name="Samtycke – sammanfattning").click()
        expect(page.locator("#consent-summary")).to_contain_text("Karl Andersson (Sambo)")
        shoot(page, f"manage-consent-summary-{size}")
        page.get_by_role("link", name="Tillbaka").click()
        page.get_by_role("button", name="Skapa kod och skriv ut kort").click()
        link = page.locator("#card-link").get_attribute("href")
        assert link is not None and f"{central}/p/" in link
        expect(page.locator("#access-card svg")).to_be_visible()  # the QR code of the link
        shoot(page, f"manage-access-card-{size}")
        phone = context.new_page()
        phone.set_viewport_size({"width": 390, "height": 844})
        phone.goto(link)
        expect(phone.locator("h1")).to_have_text("Kameran hos Greta Andersson")
        page.get_by_role("link", name="Tillbaka").click()
        page.get_by_role("button", name="Ersätt koden och skriv ut nytt kort").click()
        expect(page.locator("#card-link")).not_to_have_attribute("href", link)
        assert phone.goto(link) is not None and phone.locator("h1").count() == 0, "the old code stops working"
        phone.close()

        page.goto(f"{central}/manage/recipients")
        card = page.locator(".card", has_text="Greta Andersson")
        expect(card.locator(".badge")).to_have_text("Giltigt")
        expect(card.locator(".tonight")).to_contain_text(f"{now_local:%H:%M} Att göra nu")
        shoot(page, f"manage-recipients-{size}")
        page.goto(f"{central}/")  # and the night staff's list has the same check-in
        expect(page.locator("#checkins")).to_contain_text("Greta Andersson")
        page.get_by_role("link", name="Administration").click()  # the console's way back to these screens

        page.locator(".card h3 a", has_text="Greta Andersson").click()
        page.get_by_label("Återkallat av (namn)").fill("Greta Andersson")
        page.get_by_role("button", name="Återkalla samtycket").click()
        expect(page.locator("#withdraw-confirm")).to_be_visible()  # one click more, on purpose
        page.get_by_role("button", name="Ja, återkalla").click()
        expect(page.locator("h2 .badge")).to_have_text("Återkallat")
        expect(page.locator("#history tbody tr")).to_have_count(2)
        page.get_by_role("link", name="English").click()
        expect(page.locator("h2 .badge")).to_have_text("Withdrawn")
        shoot(page, f"manage-recipient-withdrawn-en-{size}")


class RunningNode:
    """The node's look-in runtime (control channel included) on a real pipeline, in its own thread and event loop,
    feeding the zones central sends into `rules` as `camera_node.node` does."""

    def __init__(self, settings: Settings, rules: RoomRules) -> None:
        self.settings = settings
        self.rules = rules
        self.connected = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="test node")

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        watcher = ConsentWatcher.for_node(self.settings, lambda _event: None)
        watcher.start()
        with camera(NODE, "synthetic") as pipeline:
            runtime = LookinRuntime.for_node(self.settings, watcher, pipeline,
                                             zones=lambda zones: self.rules.use_zones(RoomZones.from_settings(zones)))
            runtime.start()
            await asyncio.wait_for(runtime.channel.connected.wait(), 15)
            self.connected.set()
            await self._stop.wait()
            await runtime.stop()
        await watcher.stop()

    def __enter__(self) -> RunningNode:
        self._thread.start()
        assert self.connected.wait(20), "the node never connected its control channel"
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)


def bed_of(rules: RoomRules, start: float) -> set[str | None]:
    """Where the rules place a person lying at `LYING_ON_BED` after a second of frames."""
    for i in range(10):
        rules.update(start + i / 10, [PersonBox(LYING_ON_BED, 0.9)], [], 4 / 3)
    return {o.bed_zone for o in rules.observations.values()}


def click_at(page: Page, x: float, y: float) -> None:
    """A click (a tap on a phone) at fractions of the drawn view."""
    canvas = page.locator("#zone-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    canvas.click(position={"x": x * box["width"], "y": y * box["height"]})


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (390, 844)])
def test_ops_pair_a_node_and_draw_a_bed_that_the_running_node_uses(
    central: str, settings: Settings, tmp_path: Path, width: int, height: int
) -> None:
    size = f"{width}x{height}"
    rules = RoomRules(Origin(NODE, "rum-7", "Greta"), RoomZones.from_settings(()), RuleSettings())
    with chromium(tmp_path / "profile", width, height) as context:
        page = context.new_page()
        log_in(page, central, "olle")
        page.goto(f"{central}/manage")
        expect(page.get_by_role("heading", name="Rum och kameror")).to_be_visible()
        page.get_by_label("Kamera-id").fill(NODE)
        page.get_by_role("button", name="Skapa nyckel").click()
        expect(page.locator("#token-lines")).to_contain_text(f"NATTVAKT_NODE__NODE_ID={NODE}")
        lines = dict(line.split("=", 1) for line in page.locator("#token-lines").inner_text().splitlines())
        shoot(page, f"manage-pair-node-{size}")

        node_settings = settings.model_copy(update={"node": NodeSettings(
            node_id=NODE, room="rum-7", central_url=lines["NATTVAKT_NODE__CENTRAL_URL"],
            token=lines["NATTVAKT_NODE__TOKEN"], fps=5)})
        with RunningNode(node_settings, rules):
            assert bed_of(rules, 0.0) == {None}, "no bed zone yet: lying there is lying on the floor"
            page.reload()
            row = page.locator(f"#nodes tr[data-node-id='{NODE}']")
            expect(row).to_contain_text("Rita zoner")
            shoot(page, f"manage-nodes-{size}")
            row.get_by_role("link").click()

            page.get_by_role("button", name="Visa rummet (integritetsskyddad bild)").click()
            expect(page.locator("#zone-still-status")).to_contain_text("Rummet visas kraftigt suddigt.")
            expect(page.locator("#zone-canvas")).to_have_attribute("data-still", "heavy_blur")
            expect(page.locator("#zone-schematic")).to_be_hidden()
            page.get_by_label("Zonens namn").fill("säng")
            page.get_by_label("Sort").select_option("bed")
            page.get_by_role("button", name="Ny zon").click()
            for x, y in ((0.1, 0.5), (0.6, 0.9), (0.6, 0.5), (0.1, 0.9)):  # a bow-tie: refused, said why
                click_at(page, x, y)
            page.get_by_role("button", name="Spara").click()
            expect(page.locator("[data-error-for=zones]")).to_contain_text("self-intersecting")
            for _ in range(4):
                page.get_by_role("button", name="Ångra hörn").click()
            for x, y in ((0.1, 0.5), (0.6, 0.5), (0.6, 0.9), (0.1, 0.9)):
                click_at(page, x, y)
            page.get_by_role("button", name="Spara").click()
            expect(page.locator("#zone-status")).to_have_text("Sparat – kameran använder zonerna nu.")
            shoot(page, f"manage-zones-{size}")
            found: set[str | None] = set()
            for second in range(1, 50):  # within seconds, no restart
                found = bed_of(rules, second)
                if found == {"säng"}:
                    break
                page.wait_for_timeout(100)
            assert found == {"säng"}, "the running node's rules use the bed drawn in the console"
        page.reload()  # the node has gone: the editor says so and keeps the schematic
        page.get_by_role("button", name="Visa rummet (integritetsskyddad bild)").click()
        expect(page.locator("#zone-still-status")).to_contain_text("Kameran gav ingen bild")
        expect(page.locator("#zone-schematic")).to_be_visible()
        shoot(page, f"manage-zones-offline-{size}")


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (390, 844)])
def test_a_manager_adds_staff_resets_a_password_and_cannot_drop_their_own_admin_role(
    central: str, tmp_path: Path, width: int, height: int
) -> None:
    size = f"{width}x{height}"
    with chromium(tmp_path / "profile", width, height) as context:
        page = context.new_page()
        log_in(page, central, "sara")
        page.get_by_role("link", name="Personal").click()
        new = page.locator("#new-staff")
        new.get_by_label("Användarnamn").fill("eva")
        new.get_by_label("Namn", exact=True).fill("Eva Ek")
        new.get_by_label("Första lösenord (minst 8 tecken)").fill("kort")
        new.get_by_role("button", name="Skapa").click()
        expect(new.locator("[data-error-for=password]")).not_to_be_empty()  # too short: said at the field
        new.get_by_label("Första lösenord (minst 8 tecken)").fill("ett-långt-lösen")
        new.get_by_role("button", name="Skapa").click()
        eva = page.locator("#staff .card[data-username=eva]")
        expect(eva).to_contain_text("Eva Ek")

        eva.get_by_role("button", name="Nytt lösenord").click()
        expect(eva.locator("[data-result] output")).not_to_be_empty()
        mine = page.locator("#staff .card[data-username=sara]")
        mine.get_by_label("Roll").select_option("night_staff")
        mine.get_by_role("button", name="Spara").click()
        expect(mine.locator("[data-error-for=role]")).to_contain_text("your own admin role")
        shoot(page, f"manage-staff-{size}")
        eva.get_by_role("button", name="Inaktivera inloggningen").click()
        expect(page.locator("#staff .card[data-username=eva] .badge")).to_have_text("Inaktiv")
