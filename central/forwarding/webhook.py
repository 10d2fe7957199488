"""The webhook channel: a signed JSON POST, tried again with doubling pauses while it fails and the alarm is open."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import httpx

from central.forwarding.message import SIGNATURE_HEADER, TIMESTAMP_HEADER, Alarm, body_of, signature
from nattvakt.backoff import Backoff

log = logging.getLogger(__name__)


class Webhook:
    """POSTs alarms to one URL; a 2xx answer is delivery, anything else (or no answer) is tried again."""

    def __init__(self, client: httpx.AsyncClient, url: str, secret: str, attempts: int, backoff_s: float) -> None:
        self._client = client
        self._url = url
        self._secret = secret
        self._attempts = attempts
        self._backoff_s = backoff_s
        self.delivered = 0
        self.failed = 0

    async def send(self, alarm: Alarm, still_open: Callable[[], bool]) -> bool:
        """Deliver one round; stops early once `still_open()` says it was acknowledged meanwhile."""
        body = body_of(alarm)
        backoff = Backoff(self._backoff_s, max(self._backoff_s, 60.0))
        for attempt in range(1, self._attempts + 1):
            if not still_open():
                return False
            stamp = str(int(time.time()))
            try:
                answer = await self._client.post(self._url, content=body, headers={
                    "Content-Type": "application/json", TIMESTAMP_HEADER: stamp,
                    SIGNATURE_HEADER: signature(self._secret, stamp, body)})
                if answer.is_success:
                    self.delivered += 1
                    return True
                reason = f"HTTP {answer.status_code}"
            except httpx.HTTPError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            log.warning("webhook: alarm %s round %d, try %d of %d failed (%s)", alarm.event_id, alarm.round, attempt,
                        self._attempts, reason)
            if attempt < self._attempts:
                await asyncio.sleep(backoff.next())
        self.failed += 1
        return False
