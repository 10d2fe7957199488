"""Redis names and the idempotent XADD that producers (nodes, central's node monitor) share.

A revision `(event id, seq)` is put on the stream at most once while its marker key lives
(`DEDUP_TTL_S`): a node replaying its spool after a crash, or two central instances raising the
same `node_offline`, add nothing the second time. The consumer still drops duplicates by
`(id, seq)`, so an expired marker costs at most a duplicate that is never shown twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from nattvakt.events import Event, stream_fields

DEDUP_TTL_S = 86_400
"""How long a sent revision is remembered by Redis: longer than any spool replay after an outage of a night."""

# KEYS: stream, marker key. ARGV: maxlen, marker ttl (s), then the entry's field/value pairs (`stream_fields`).
_IDEMPOTENT_XADD = """
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then
    return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))
end
return false
"""


def sent_marker_key(stream: str, event_id: str, seq: int) -> str:
    """The key that marks one revision as already on the stream."""
    return f"{stream}:sent:{event_id}:{seq}"


def heartbeats_key(stream: str) -> str:
    """Sorted set: node id -> last heartbeat (Redis server time, ms)."""
    return f"{stream}:heartbeats"


def nodes_key(stream: str) -> str:
    """Hash: node id -> JSON with the node's room, recipient and spool status, from its last heartbeat."""
    return f"{stream}:nodes"


def offline_key(stream: str) -> str:
    """Hash: node id -> JSON of its open `node_offline` event (shared by all central instances)."""
    return f"{stream}:offline"


EntrySigner = Callable[[int, str], dict[str, str]]
"""Given an entry's schema version and event JSON, the fields that sign it (`privacy.event_signing.EventSigner`)."""


def idempotent_xadd(redis: aioredis.Redis) -> AsyncScript:
    """The registered script; call it with `send_args`."""
    return redis.register_script(_IDEMPOTENT_XADD)


def send_args(
    stream: str, event_id: str, seq: int, version: int, body: str, maxlen: int, sign: EntrySigner | None = None
) -> dict[str, list[Any]]:
    """Keyword arguments for the script: `await script(**send_args(...), client=pipe)`; signed when `sign` is given
    (central parks unsigned entries)."""
    entry = stream_fields(version, body) | (sign(version, body) if sign is not None else {})
    fields = [part for pair in entry.items() for part in pair]
    return {"keys": [stream, sent_marker_key(stream, event_id, seq)], "args": [maxlen, DEDUP_TTL_S, *fields]}


async def publish_once(redis: aioredis.Redis, script: AsyncScript, stream: str, event: Event, maxlen: int,
                       sign: EntrySigner | None = None) -> bool:
    """XADD one event unless this revision is already on the stream; True if it was added now."""
    added = await script(
        **send_args(stream, event.id, event.seq, event.schema_version, event.model_dump_json(), maxlen, sign),
        client=redis,
    )
    return bool(added)
