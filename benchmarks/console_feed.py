"""Central's server-sent event feed, read as a console reads it: one place for the benchmarks that time alarms."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx


async def feed_events(base: str, cookies: httpx.Cookies, ready: asyncio.Event) -> AsyncIterator[tuple[float, Any]]:
    """Each event the console is sent, with the wall-clock time it arrived; `ready` is set once the stream is open."""
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=httpx.Timeout(10, read=None)) as client, \
            client.stream("GET", "/api/events/stream") as response:
        response.raise_for_status()
        ready.set()
        kind = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:") and kind == "event":
                yield time.time(), json.loads(line[5:])["event"]
