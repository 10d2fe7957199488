"""Parking for stream entries central cannot read: kept with the reason, counted, shown to ops.

An entry is moved in one MULTI/EXEC transaction: added to `<stream>:dead`, acknowledged on the
main stream, and counted per reason in the hash `<stream>:dead:counts`. So a bad entry never
blocks the events behind it, and is never simply gone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from pydantic import BaseModel

log = logging.getLogger(__name__)

MAX_FIELD_CHARS = 4_000
"""Longer raw fields are cut when parked: enough to diagnose, bounded for Redis memory."""


class DeadLetter(BaseModel):
    """One parked entry, as ops see it."""

    id: str
    """Entry id in the dead-letter stream."""
    source_id: str
    """Entry id it had in the event stream."""
    reason: str
    detail: str
    consumer: str
    """Central instance that parked it."""
    parked_at: datetime
    fields: str
    """The original entry's fields as JSON (cut at MAX_FIELD_CHARS)."""


class DeadLetters:
    """The dead-letter stream of one event stream and consumer group."""

    def __init__(self, redis: aioredis.Redis, stream: str, group: str, *, maxlen: int = 10_000) -> None:
        self._redis = redis
        self._source = stream
        self._group = group
        self._maxlen = maxlen
        self.stream = f"{stream}:dead"
        self.counts_key = f"{stream}:dead:counts"
        self.parked = 0
        """Entries this instance parked since it started."""

    async def park(self, entry_id: str, fields: Mapping[str, str], reason: str, detail: str, consumer: str) -> None:
        raw = json.dumps(dict(fields), ensure_ascii=False)[:MAX_FIELD_CHARS]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self.stream,
                {
                    "source_id": entry_id, "reason": reason, "detail": detail[:MAX_FIELD_CHARS], "consumer": consumer,
                    "parked_at": datetime.now(UTC).isoformat(), "fields": raw,
                },
                maxlen=self._maxlen,
                approximate=True,
            )
            pipe.xack(self._source, self._group, entry_id)
            pipe.hincrby(self.counts_key, reason, 1)
            await pipe.execute()
        self.parked += 1
        log.error("parked stream entry %s in %s: %s: %s", entry_id, self.stream, reason, detail)

    async def recent(self, limit: int) -> list[DeadLetter]:
        """Newest first."""
        rows: Any = await self._redis.xrevrange(self.stream, count=limit)
        return [DeadLetter(id=entry_id, **fields) for entry_id, fields in rows]

    async def counts(self) -> dict[str, int]:
        """Parked entries per reason, over all central instances."""
        raw: Any = await self._redis.hgetall(self.counts_key)
        return {reason: int(count) for reason, count in raw.items()}
