"""Signs each node's copy of its recipient's consent and hands it to the transport (Redis, for now).

A copy that could not be delivered (Redis away) is remembered and retried every few seconds by the owner task,
so a node never keeps an outdated copy longer than the outage; central enforces the current consent meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

import redis
from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from central.audit.store import commit_with_retry
from central.consent.service import current_consent
from central.nodes.models import CameraNode
from nattvakt.consent_transport import STORE_IF_NEWER, copy_key, master_key, notify_channel
from nattvakt.settings import Settings
from privacy.consent_model import Consent
from privacy.consent_signing import derive_node_key, sign_copy

log = logging.getLogger(__name__)
RETRY_EVERY_S = 2.0


class ConsentCopies:
    """Publishes signed copies; owns the retry task (`start`/`stop`)."""

    def __init__(self, client: redis.Redis, master_key: bytes, sessions: sessionmaker[Session]) -> None:
        self._redis = client
        self._master = master_key
        self._sessions = sessions
        self._store = client.register_script(STORE_IF_NEWER)
        self._undelivered: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def node_key(self, node_id: str) -> bytes:
        return derive_node_key(self._master, node_id)

    def _next_copy(self, db: Session, node_id: str) -> tuple[int, Consent | None]:
        def work(s: Session) -> tuple[int, Consent | None]:
            # Raise the version first: it takes the row's write lock, so the consent read after it is the newest.
            s.execute(update(CameraNode).where(CameraNode.node_id == node_id)
                      .values(copy_version=CameraNode.copy_version + 1))
            node = s.scalars(select(CameraNode).where(CameraNode.node_id == node_id)
                             .execution_options(populate_existing=True)).one()
            consent = current_consent(s, node.recipient_id) if node.recipient_id is not None else None
            return node.copy_version, consent

        return commit_with_retry(db, work)

    def publish(self, db: Session, node_ids: Iterable[str]) -> list[str]:
        """Sign and deliver a fresh copy to each node; returns the nodes that could not be reached now."""
        missed: list[str] = []
        for node_id in node_ids:
            version, consent = self._next_copy(db, node_id)
            signed = sign_copy(self.node_key(node_id), node_id, version, consent, datetime.now(UTC))
            try:
                self._store(keys=[copy_key(node_id), notify_channel(node_id)], args=[version, signed])
            except RedisError as exc:
                log.error("consent copy v%s for node %s not delivered (will retry): %s", version, node_id, exc)
                self._undelivered.add(node_id)
                missed.append(node_id)
            else:
                self._undelivered.discard(node_id)
        return missed

    def publish_for_recipient(self, db: Session, recipient_id: int) -> list[str]:
        node_ids = db.scalars(select(CameraNode.node_id).where(CameraNode.recipient_id == recipient_id))
        return self.publish(db, list(node_ids))

    def publish_all(self, db: Session) -> list[str]:
        return self.publish(db, list(db.scalars(select(CameraNode.node_id))))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="consent copy publisher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._redis.close()

    def _publish_in_new_session(self, everything: bool) -> None:
        with self._sessions() as db:
            if everything:
                self.publish_all(db)
            else:
                self.publish(db, sorted(self._undelivered))

    async def _run(self) -> None:
        """Publish every node's copy once at start-up, then retry undelivered ones."""
        everything = True
        while True:
            try:
                if everything or self._undelivered:
                    await asyncio.to_thread(self._publish_in_new_session, everything)
                everything = False
            except Exception:  # boundary of a background task: log and keep retrying
                log.exception("publishing consent copies failed; retrying")
            await asyncio.sleep(RETRY_EVERY_S)


def open_consent_copies(settings: Settings, sessions: sessionmaker[Session]) -> ConsentCopies:
    """The publisher with its own (blocking) Redis client: consent endpoints are sync and run in the threadpool."""
    key = master_key(settings, create=True)
    assert key is not None
    client = redis.Redis.from_url(settings.redis_url_or_default(), decode_responses=True, socket_connect_timeout=3,
                                  socket_timeout=3)
    return ConsentCopies(client, key, sessions)
