"""Central's check of each stream entry before it becomes an event: size, signature, and a node speaking for itself.

Every node can write to the stream, so without this one node (or anyone holding a node's Redis password) could end
another room's open HIGH alarm or inject a fake one. The consumer's decoder path calls `EventVerifier.decode` once
per entry; a rejection is an `EventRejected` with reason `too_large`, `unsigned`, `bad_signature` or `wrong_node`,
so the entry is dead-lettered like any unreadable one. A signature failure also raises one HIGH `camera_fault`
(`fault: events_failed_verification`) per claimed node and hour for ops, signed by central.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import NoReturn

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from nattvakt.bus import idempotent_xadd, publish_once
from nattvakt.events import Event, EventRejected, Severity, decode_stream_entry, deterministic_event_id
from privacy.event_signing import (
    CENTRAL_SIGNER,
    SIGNATURE_FIELD,
    SIGNER_FIELD,
    EventSigner,
    derive_event_key,
    signature_problem,
)

log = logging.getLogger(__name__)

_KEY_CACHE = 10_000
"""Derived keys kept (one per signer seen); signer names come from the stream, so the cache is bounded."""
_NODE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
ALARM_EVERY_MS = 3_600_000
"""At most one verification alarm per claimed node in this window (the entries themselves are all parked)."""


class EventVerifier:
    """Checks entries against the per-node event keys derived from central's master key."""

    def __init__(self, master: bytes, max_bytes: int, on_forged: Callable[[str, str, str], None] | None = None) -> None:
        """`on_forged(node, reason, detail)` is called for each entry whose signature does not hold."""
        self._master = master
        self._max_bytes = max_bytes
        self._on_forged = on_forged
        self._keys: dict[str, bytes] = {}

    def _key(self, signer: str) -> bytes:
        key = self._keys.get(signer)
        if key is None:
            if len(self._keys) >= _KEY_CACHE:
                self._keys.clear()
            key = self._keys[signer] = derive_event_key(self._master, signer)
        return key

    def decode(self, fields: Mapping[str, str]) -> Event:
        """The entry's event once it is small enough and signed by its own node (or central); else `EventRejected`."""
        raw = fields.get("event")
        if raw is not None and (len(raw) > self._max_bytes or len(raw.encode(errors="replace")) > self._max_bytes):
            raise EventRejected("too_large", f"event of {len(raw.encode(errors='replace'))} bytes; at most "
                                             f"{self._max_bytes} (NATTVAKT_EVENT_MAX_BYTES)")
        signer = fields.get(SIGNER_FIELD)
        if not signer or SIGNATURE_FIELD not in fields:
            self._forged(fields, "unsigned", "entry carries no signature (`by`, `sig`)")
        elif (problem := signature_problem(self._key(signer), fields)) is not None:
            self._forged(fields, "bad_signature", problem)
        event = decode_stream_entry(fields)
        if signer not in (CENTRAL_SIGNER, event.node):  # the signature proves who sent it: that node is reported
            self._forged(fields, "wrong_node", f"signed by node {signer!r} but speaks for node {event.node!r}",
                         node=signer)
        return event

    def _forged(self, fields: Mapping[str, str], reason: str, detail: str, node: str = "") -> NoReturn:
        node = node or _claimed_node(fields)
        if self._on_forged is not None:
            self._on_forged(node, reason, detail)
        raise EventRejected(reason, f"{detail} (claims node {node!r})")


def _claimed_node(fields: Mapping[str, str]) -> str:
    """The node an entry says it is from, as far as it can be read (bounded by the size check before)."""
    try:
        node = json.loads(fields.get("event", "")).get("node")
    except (ValueError, AttributeError):
        node = None
    return node if isinstance(node, str) and _NODE_ID.match(node) else "unknown"


class VerificationAlarm:
    """Raises the ops alarm for entries that failed verification: one HIGH `camera_fault` per node and hour."""

    def __init__(self, redis: aioredis.Redis, stream: str, maxlen: int, signer: EventSigner) -> None:
        self._redis, self._stream, self._maxlen, self._sign = redis, stream, maxlen, signer
        self._xadd = idempotent_xadd(redis)
        self._raised: set[tuple[str, int]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, node: str, reason: str, detail: str) -> None:
        window = int(time.time() * 1000) // ALARM_EVERY_MS * ALARM_EVERY_MS
        if (node, window) in self._raised:
            return
        if len(self._raised) > _KEY_CACHE:
            self._raised.clear()
        self._raised.add((node, window))
        event = Event(
            id=deterministic_event_id(window, f"events_failed_verification|{node}"), node=node, room=node,
            kind="camera_fault", severity=Severity.HIGH,
            details={"fault": "events_failed_verification", "reason": reason, "message":
                     f"events from node {node} failed verification ({reason}): {detail}"[:300]},
        )
        task = asyncio.get_running_loop().create_task(self._publish(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish(self, event: Event) -> None:
        try:  # every central instance derives the same id: the alarm is on the stream once
            await publish_once(self._redis, self._xadd, self._stream, event, self._maxlen, self._sign)
        except (RedisError, OSError) as exc:
            log.error("could not raise the verification alarm for node %s: %s", event.node, exc)


def central_signer(master: bytes) -> EventSigner:
    """What central signs its own events (`node_offline`, verification alarms) with."""
    return EventSigner(derive_event_key(master, CENTRAL_SIGNER), CENTRAL_SIGNER)
