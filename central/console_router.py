"""What the console page needs before anything else: the home's time zone, so every clock shows the home's time."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from central.dependencies import SettingsDep

router = APIRouter(prefix="/api/console", tags=["console"])


class ConsoleConfig(BaseModel):
    home_timezone: str
    """IANA time zone the console shows times in (the setting `central.home_timezone`, not the browser's)."""


@router.get("")
def console_config(settings: SettingsDep) -> ConsoleConfig:
    """Open to anyone: the login page shows times too, and the zone tells nothing about anyone."""
    return ConsoleConfig(home_timezone=settings.central.home_timezone)
