"""The web push channel: each subscribed browser gets the alarm, encrypted for it and signed with central's VAPID key.

A subscription the push service says is gone (404, 410) is removed; any other failure waits for the next round.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from py_vapid import Vapid
from pywebpush import WebPushException, webpush_async
from sqlalchemy.orm import Session, sessionmaker

from central.forwarding import service
from central.forwarding.message import Alarm, body_of
from central.forwarding.models import PushSubscription

log = logging.getLogger(__name__)
GONE = (404, 410)
TTL_S = 600
"""A push service keeps an undelivered alarm this long (a phone out of coverage for a while still gets it)."""


def subscription_info(row: PushSubscription) -> dict[str, str | bytes | dict[str, str | bytes]]:
    return {"endpoint": row.endpoint, "keys": {"p256dh": row.p256dh, "auth": row.auth}}


class Push:
    """Sends one alarm to every subscribed browser."""

    def __init__(self, sessions: sessionmaker[Session], vapid: Vapid, contact: str, timeout_s: float) -> None:
        self._sessions = sessions
        self._vapid = vapid
        self._contact = contact
        self._timeout_s = timeout_s
        self.delivered = 0
        self.failed = 0

    def _subscriptions(self) -> list[PushSubscription]:
        with self._sessions() as db:
            return service.subscriptions(db)

    def _forget(self, endpoint: str) -> None:
        with self._sessions() as db:
            service.unsubscribe(db, endpoint)

    async def send(self, alarm: Alarm, still_open: Callable[[], bool]) -> int:
        """Deliver to every subscribed browser; returns how many push services took it."""
        rows = await asyncio.to_thread(self._subscriptions)
        taken = 0
        data = body_of(alarm).decode()
        for row in rows:
            if not still_open():
                break
            try:
                await webpush_async(subscription_info(row), data, vapid_private_key=self._vapid,
                                    vapid_claims={"sub": self._contact}, ttl=TTL_S, timeout=self._timeout_s,
                                    headers={"Urgency": "high"})
            except WebPushException as exc:
                status = getattr(exc.response, "status", None) or getattr(exc.response, "status_code", None)
                self.failed += 1
                if status in GONE:
                    log.info("push: subscription of %s is gone; removing it", row.staff)
                    self._forget(row.endpoint)
                else:
                    log.warning("push: alarm %s to a browser of %s failed: %s", alarm.event_id, row.staff,
                                exc.message)
                continue
            except (OSError, TimeoutError) as exc:
                self.failed += 1
                log.warning("push: alarm %s, push service unreachable: %s", alarm.event_id, exc)
                continue
            taken += 1
            self.delivered += 1
        return taken
