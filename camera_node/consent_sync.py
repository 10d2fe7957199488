"""The node's own, signed copy of consent: fetched from Redis, verified, kept on disk, and asked before every frame.

Central announces each new copy on a pub/sub channel, so a change (a pause, a withdrawal) takes effect here within
a second; the copy is also re-read every few seconds in case an announcement was missed. A copy with a wrong
signature, for another node, or older than the newest accepted one is refused and raises an alarm event; the node
keeps its last good copy. With no valid copy at all the node refuses everything but local detection.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from nattvakt.backoff import Backoff
from nattvakt.consent_transport import copy_key, notify_channel
from nattvakt.events import Event, Severity
from nattvakt.settings import Settings
from nattvakt.types import Action
from privacy.consent_policy import Decision, decide
from privacy.consent_signing import ConsentCopyRejected, SignedConsentCopy, node_key, verify_copy

log = logging.getLogger(__name__)
_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)


class ConsentWatcher:
    """Owns one task that keeps the node's consent copy current; `decide` is the node-side policy check."""

    def __init__(
        self, redis_url: str, node_id: str, room: str, key: bytes | None, state_dir: Path,
        emit: Callable[[Event], None], *, recheck_s: float = 5.0, key_source: Callable[[], bytes | None] | None = None,
    ) -> None:
        self._redis = aioredis.from_url(redis_url, decode_responses=True, socket_connect_timeout=3)
        self._node_id = node_id
        self._room = room
        self._key = key
        self._key_source = key_source
        """Asked again while there is no key: on one machine central may create the master key after we start."""
        self._state_file = Path(state_dir) / f"consent-copy-{node_id}.json"
        self._emit = emit
        self._recheck_s = recheck_s
        self._copy: SignedConsentCopy | None = None
        self._last_rejected: str | None = None
        self._task: asyncio.Task[None] | None = None
        self.changed = asyncio.Event()
        """Set whenever a new copy is accepted (tests and the stream sender wait on it)."""

    @classmethod
    def for_node(cls, settings: Settings, emit: Callable[[Event], None]) -> ConsentWatcher:
        cfg = settings.node
        return cls(settings.redis_url_or_default(), cfg.node_id, cfg.room, node_key(settings), settings.data_dir, emit,
                   key_source=lambda: node_key(settings))

    @property
    def copy(self) -> SignedConsentCopy | None:
        return self._copy

    def decide(self, now: datetime, action: Action | str, reason: str = "") -> Decision:
        """The same policy as central, on this node's own copy."""
        if self._copy is None:
            if action == Action.DETECTION:
                return Decision(allowed=True, level=None, max_duration=_ONE_DAY, code="no_valid_copy",
                                reason_text="no valid consent copy: local detection only")
            return Decision(allowed=False, level=None, max_duration=_ZERO, code="no_valid_copy",
                            reason_text="this node has no valid consent copy")
        return decide(self._copy.consent, now, action, reason)

    def start(self) -> None:
        if self._key is None:
            log.warning("%s: no consent key; every look-in will be refused", self._node_id)
        self._load_saved()
        self._task = asyncio.create_task(self._run(), name=f"consent sync {self._node_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._redis.aclose()

    def offer(self, raw: str, source: str) -> bool:
        """Verify a copy from any transport; accept it if newer. Returns whether it was accepted."""
        if self._key is None and self._key_source is not None:
            self._key = self._key_source()
        if self._key is None:
            return False
        newest = self._copy.copy_version if self._copy else 0
        try:
            copy = verify_copy(raw, self._key, self._node_id, newest)
        except ConsentCopyRejected as exc:
            self._reject(raw, exc, source)
            return False
        if self._copy is not None and copy.copy_version == newest:
            return False  # the copy we already hold, read again
        self._copy = copy
        self._last_rejected = None
        if source != "disk":
            self._save(raw)
        version = copy.consent.version if copy.consent else None
        log.info("%s: consent copy v%s accepted (consent version %s)", self._node_id, copy.copy_version, version)
        self.changed.set()
        return True

    def _reject(self, raw: str, exc: ConsentCopyRejected, source: str) -> None:
        fingerprint = hashlib.sha256(raw.encode(errors="surrogatepass")).hexdigest()
        if fingerprint == self._last_rejected:
            return  # the same bad copy re-read: one alarm is enough
        self._last_rejected = fingerprint
        log.error("%s: consent copy from %s refused (%s): %s", self._node_id, source, exc.reason, exc)
        self._emit(Event(
            node=self._node_id, room=self._room, kind="camera_fault", severity=Severity.HIGH,
            details={"fault": "consent_copy_rejected", "reason": exc.reason, "message": str(exc)[:300]},
        ))

    def _load_saved(self) -> None:
        if self._state_file.exists():
            self.offer(self._state_file.read_text(), "disk")

    def _save(self, raw: str) -> None:
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(raw)
        os.replace(tmp, self._state_file)

    async def _fetch(self) -> None:
        raw = await self._redis.hget(copy_key(self._node_id), "copy")
        if raw is not None:
            self.offer(raw if isinstance(raw, str) else raw.decode(), "redis")

    async def _run(self) -> None:
        retry = Backoff(0.5, 10.0)
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(notify_channel(self._node_id))
                    await self._fetch()  # after subscribing, so no announcement falls in between
                    retry.reset()
                    while True:
                        await pubsub.get_message(ignore_subscribe_messages=True, timeout=self._recheck_s)
                        await self._fetch()
            except RedisError as exc:
                delay = retry.next()
                log.warning("%s: consent sync lost Redis (%s); retrying in %.1f s", self._node_id, exc, delay)
                await asyncio.sleep(delay)
