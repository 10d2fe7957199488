"""What the console page needs before anything else: the home's time zone (every clock shows the home's time), and
its words in each language, from the gettext catalogues (`central.i18n`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from central.dependencies import SettingsDep
from central.i18n import console_strings, pick_lang

router = APIRouter(prefix="/api/console", tags=["console"])


class ConsoleConfig(BaseModel):
    home_timezone: str
    """IANA time zone the console shows times in (the setting `central.home_timezone`, not the browser's)."""


@router.get("")
def console_config(settings: SettingsDep) -> ConsoleConfig:
    """Open to anyone: the login page shows times too, and the zone tells nothing about anyone."""
    return ConsoleConfig(home_timezone=settings.central.home_timezone)


@router.get("/strings/{lang}")
def strings(lang: Annotated[str, Path(pattern="^(sv|en)$")]) -> dict[str, str]:
    """Every string of the console page in `lang` (sv or en), by the names the page's scripts use."""
    return console_strings(pick_lang(lang))
