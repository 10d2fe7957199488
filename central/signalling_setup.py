"""Wires look-in signalling into the app: the nodes' control-channel router and the hub opened in the lifespan."""

from __future__ import annotations

import redis.asyncio as aioredis
from fastapi import APIRouter
from sqlalchemy.orm import Session, sessionmaker

from central.event_feed import EventFeed
from central.routers import node_ws
from central.signalling import NodeHub
from nattvakt.consent_transport import master_key
from nattvakt.settings import Settings


def signalling_routers() -> list[APIRouter]:
    """The look-in routes themselves live in `central.routers.lookins` (wired with the consent routers)."""
    return [node_ws.router]


def open_lookin_hub(
    settings: Settings, sessions: sessionmaker[Session], feed: EventFeed, redis: aioredis.Redis
) -> NodeHub:
    key = master_key(settings, create=True)
    assert key is not None
    return NodeHub(sessions, feed, redis, key, settings.central.lookin_answer_timeout_s)
