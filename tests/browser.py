"""Headless Debian Chromium driven by Playwright: one way to launch it for every browser test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, sync_playwright

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
NEEDS_CHROMIUM = pytest.mark.skipif(
    not shutil.which(CHROMIUM), reason="Debian's chromium is not installed (make test installs it)"
)
"""Browser tests run wherever `make test` ran: it installs Chromium. Elsewhere they skip, saying why."""
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@contextmanager
def chromium(profile: Path, width: int, height: int, extra_flags: tuple[str, ...] = ()) -> Iterator[BrowserContext]:
    """A persistent context on a throw-away profile (no first-run state leaks between tests)."""
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_FLAGS, *extra_flags],
            viewport={"width": width, "height": height},
        )
        try:
            yield context
        finally:
            context.close()
