from __future__ import annotations

import subprocess
import sys

import pytest

from nattvakt.settings import SettingsError, load_settings
from tests.processes import nattvakt_env


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in __import__("os").environ if n.startswith("NATTVAKT_")]:
        monkeypatch.delenv(name)
    settings = load_settings()
    assert settings.central.port == 8000
    assert settings.redis_url is None
    assert settings.node.source == "synthetic"


def test_nested_setting_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATTVAKT_CENTRAL__PORT", "8123")
    monkeypatch.setenv("NATTVAKT_NODE__ROOM", "B12")
    settings = load_settings()
    assert settings.central.port == 8123
    assert settings.node.room == "B12"


def test_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATTVAKT_LOG_LEVEL", "LOUD")
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert "NATTVAKT_LOG_LEVEL='LOUD'" in message
    assert "'DEBUG', 'INFO', 'WARNING' or 'ERROR'" in message


def _cli(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nattvakt", *args], env=nattvakt_env(**settings), capture_output=True, text=True,
        timeout=60, check=False,
    )


def test_unknown_subcommand_is_one_line_exit_2() -> None:
    result = _cli("fly")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "invalid choice: 'fly'" in lines[0] and "demo" in lines[0]


def test_bad_setting_is_one_line_exit_2() -> None:
    result = _cli("central", central__port="eighty")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "nattvakt: bad setting NATTVAKT_CENTRAL__PORT='eighty': "
        "Input should be a valid integer, unable to parse string as an integer"
    ]


def test_missing_camera_file_is_named() -> None:
    result = _cli("node", node__source="/nonexistent/clip.mp4")
    assert result.returncode == 2
    assert "camera source file not found: '/nonexistent/clip.mp4'" in result.stderr


def test_home_timezone_is_one_checked_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATTVAKT_CENTRAL__HOME_TIMEZONE", "Europe/Helsinki")
    assert load_settings().central.home_zone.key == "Europe/Helsinki"
    monkeypatch.setenv("NATTVAKT_CENTRAL__HOME_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError, match="NATTVAKT_CENTRAL__HOME_TIMEZONE"):
        load_settings()
