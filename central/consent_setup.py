"""Wires the consent feature into the app: its routers, and the signed-copy publisher opened in the lifespan."""

from __future__ import annotations

import redis
from fastapi import APIRouter
from sqlalchemy.orm import Session, sessionmaker

from central.consent_copies import ConsentCopies
from central.routers import consent, lookins, pause, recipients, transparency
from nattvakt.consent_transport import master_key
from nattvakt.settings import Settings


def consent_routers() -> list[APIRouter]:
    return [recipients.router, consent.router, pause.router, lookins.router, transparency.router]


def open_consent_copies(settings: Settings, sessions: sessionmaker[Session]) -> ConsentCopies:
    """The publisher with its own (blocking) Redis client: consent endpoints are sync and run in the threadpool."""
    key = master_key(settings, create=True)
    assert key is not None
    client = redis.Redis.from_url(settings.redis_url_or_default(), decode_responses=True, socket_connect_timeout=3,
                                  socket_timeout=3)
    return ConsentCopies(client, key, sessions)
