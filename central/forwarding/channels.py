"""Opening forwarding as central starts: the channels the settings ask for, and the VAPID key (made if new)."""

from __future__ import annotations

import httpx
import redis.asyncio as aioredis
from sqlalchemy.orm import Session, sessionmaker

from central.events.feed import EventFeed
from central.forwarding.forwarder import Forwarder
from central.forwarding.keys import public_key, vapid_key
from central.forwarding.push import Push
from central.forwarding.webhook import Webhook
from nattvakt.settings import Settings


def open_forwarder(settings: Settings, sessions: sessionmaker[Session], feed: EventFeed, redis: aioredis.Redis
                   ) -> tuple[Forwarder, httpx.AsyncClient]:
    """The forwarder and the HTTP client its webhook uses (the caller closes it after stopping the forwarder)."""
    s = settings.central.forwarding
    http = httpx.AsyncClient(timeout=s.webhook_timeout_s, follow_redirects=False)
    webhook = None
    if s.webhook_url and s.webhook_secret is not None:
        webhook = Webhook(http, s.webhook_url, s.webhook_secret.get_secret_value(), s.webhook_attempts,
                          s.webhook_backoff_s)
    vapid = vapid_key(settings.data_dir)
    forwarder = Forwarder(feed, redis, settings.events_stream, s, webhook,
                          Push(sessions, vapid, s.push_contact, s.webhook_timeout_s))
    forwarder.push_public_key = public_key(vapid)
    return forwarder, http
