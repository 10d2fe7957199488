"""The gettext catalogues: every string the code and templates use is in both languages, and sv and en agree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import httpx
import pytest
from babel.messages.pofile import read_po

from central.i18n import LANGUAGES, LOCALE_DIR, catalogue, change_words, console_strings, resolve
from central.manage.router import ZONE_KINDS
from central.manage.status import CONSENT_STATUSES
from central.night.slots import OUTCOMES, CheckInState
from central.staff.service import ROLES
from nattvakt.events import EventKind
from nattvakt.types import PRIVACY_LEVELS
from privacy.consent_model import GrantorRole

CENTRAL = Path(__file__).resolve().parent.parent / "central"
TEMPLATES = sorted((CENTRAL / "templates").glob("*.html"))
PYTHON = sorted(p for p in CENTRAL.rglob("*.py") if p.name != "i18n.py")
SCRIPTS = sorted((CENTRAL / "static").glob("*.js"))


def _ids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {str(m.id) for m in read_po(handle) if m.id}


def test_sv_and_en_have_the_same_keys_as_the_template() -> None:
    template = _ids(LOCALE_DIR / "messages.pot")
    assert template, "messages.pot lists every key"
    for lang in LANGUAGES:
        assert _ids(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po") == template, lang
        assert set(catalogue(lang)) == template, f"{lang}: every key is translated (none empty)"


def _literal_keys() -> dict[str, set[str]]:
    """Message ids the pages and Python code name literally, by where they are used."""
    found: dict[str, set[str]] = {}
    for path in TEMPLATES:
        found[path.name] = set(re.findall(r'\b_\("([a-z_.]+)"\)', path.read_text(encoding="utf-8")))
    for path in PYTHON:
        found[str(path.relative_to(CENTRAL))] = set(
            re.findall(r'\bgettext\(\w+, ["\']([a-z_.]+)["\']', path.read_text(encoding="utf-8")))
    return found


def _console_keys() -> dict[str, set[str]]:
    """Names the console page's scripts and markup look up literally."""
    found = {"index.html": set(re.findall(r'data-i18n="([a-z_]+)"', (CENTRAL / "static/index.html").read_text()))}
    for path in SCRIPTS:
        text = path.read_text(encoding="utf-8")
        if path.name == "followup.js":  # w("name"), and the rows and series it looks up by name
            tables = re.findall(r"const (?:ROWS|SERIES) = (\[.*?\]);", text, re.S)
            names = set(re.findall(r'\bw\("([a-z_]+)"\)', text)) | set(re.findall(r'"([a-z_]+)"', "".join(tables)))
            found[path.name] = {f"followup.{k}" if f"followup.{k}" in console_strings("sv") else k for k in names}
        else:
            found[path.name] = set(re.findall(r'\bt\("([a-z_]+)"\)', text))
    return found


def _families() -> set[str]:
    """Keys built at run time from a closed set of names (event kinds, outcomes, states, privacy levels)."""
    kinds = get_args(EventKind)
    return ({f"console.kind_{k}" for k in kinds} | {f"console.outcome_{o}" for o in OUTCOMES}
            | {f"console.state_{s}" for s in get_args(CheckInState)} | {f"report.{o}" for o in OUTCOMES}
            | {f"report.{s}" for s in get_args(CheckInState)} | {f"page.{level}" for level in PRIVACY_LEVELS}
            | {f"manage.status_{s}" for s in CONSENT_STATUSES} | {f"manage.role_{r.value}" for r in GrantorRole}
            | {f"manage.zone_kind_{k}" for k in ZONE_KINDS}
            | {f"manage.health_{h}" for h in ("online", "offline", "never")}
            | {f"manage.staff_role_{r}" for r in ROLES}
            | {f"manage.detector_{d}" for d in ("running", "degraded", "unavailable", "off")})


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_the_code_uses_is_in_the_catalogue(lang: str) -> None:
    missing = [f"{where}: {key}" for where, keys in _literal_keys().items() for key in sorted(keys)
               if resolve(lang, key) is None]  # type: ignore[arg-type]
    missing += [key for key in sorted(_families()) if resolve(lang, key) is None]  # type: ignore[arg-type]
    strings = console_strings(lang)  # type: ignore[arg-type]
    missing += [f"{where}: {key}" for where, keys in _console_keys().items() for key in sorted(keys)
                if key not in strings]
    assert missing == []


def test_the_scan_finds_what_the_pages_use() -> None:
    keys = _literal_keys()
    assert "page.pause_button" in keys["personal.html"] and "report.col_time" in keys["night_report.html"]
    assert "page.bad_link" in keys["consent/personal_router.py"]
    console = _console_keys()
    assert "login_failed" in console["console.js"] and "acknowledge" in console["console.js"]
    assert "followup.csv" in console["followup.js"] and "checkins_planned" in console["followup.js"]


def test_a_shared_string_is_written_once_and_found_from_every_place() -> None:
    assert resolve("sv", "report.print") == resolve("sv", "page.print") == "common.print"
    assert "page.print" not in catalogue("sv") and catalogue("sv")["common.print"] == "Skriv ut"
    assert change_words("paused tonight by recipient", "sv") == "pausat i natt av brukaren eller anhörig (egen länk)"
    english = change_words("paused tonight by recipient", "en")
    assert english == "paused tonight by the recipient or a relative (own link)"


async def test_the_console_gets_one_json_per_language(client: httpx.AsyncClient) -> None:
    sv, en = [(await client.get(f"/api/console/strings/{lang}")).json() for lang in LANGUAGES]
    assert sv["acknowledge"] == "Kvittera" and en["acknowledge"] == "Acknowledge"
    assert sv["events"] == "Händelser" and sv["followup.csv"] == "Exportera (CSV)", "shared and own names"
    assert set(sv) == set(en)
    assert (await client.get("/api/console/strings/de")).status_code == 422
