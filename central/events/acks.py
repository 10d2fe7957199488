"""Who acknowledged which event, kept in Redis so every central instance shows the same.

`SET NX` lets exactly one acknowledgement win when two staff press at once, on one instance or on
two; the winner's script also appends a notice to `<stream>:acks`, which every instance reads, so
each console shows the acknowledgement and each instance XACKs the entries of that event it holds.
A key lives `ACK_TTL_S`: longer than any event stays on a console unacknowledged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

ACK_TTL_S = 7 * 86_400
NOTICES_MAXLEN = 10_000

# KEYS: ack key, notices stream. ARGV: staff username, ttl (s), notices maxlen, event id.
_ACKNOWLEDGE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'event_id', ARGV[4], 'by', ARGV[1])
    return {1, ARGV[1]}
end
return {0, redis.call('GET', KEYS[1])}
"""


@dataclass(frozen=True, slots=True)
class AckNotice:
    entry_id: str
    """Position in the notices stream."""
    event_id: str
    by: str


class AckState:
    """The shared acknowledgements of one event stream."""

    def __init__(self, redis: aioredis.Redis, stream: str) -> None:
        self._redis = redis
        self._prefix = f"{stream}:ack:"
        self.notices_stream = f"{stream}:acks"
        self._script = redis.register_script(_ACKNOWLEDGE)

    async def acknowledge(self, event_id: str, by: str) -> tuple[bool, str]:
        """Record `by` as the one who acknowledged; returns (True, by) if this call won, else (False, winner)."""
        won, winner = await self._script(
            keys=[self._prefix + event_id, self.notices_stream], args=[by, ACK_TTL_S, NOTICES_MAXLEN, event_id]
        )
        return bool(won), str(winner)

    async def who(self, event_ids: list[str]) -> dict[str, str]:
        """Event id -> who acknowledged it, for those that are acknowledged."""
        if not event_ids:
            return {}
        values: Any = await self._redis.mget([self._prefix + event_id for event_id in event_ids])
        return {event_id: by for event_id, by in zip(event_ids, values, strict=True) if by is not None}

    async def last_notice_id(self) -> str:
        """Where to start reading notices so that none after this moment is missed."""
        rows: Any = await self._redis.xrevrange(self.notices_stream, count=1)
        return str(rows[0][0]) if rows else "0-0"

    async def notices(self, after: str, block_ms: int) -> list[AckNotice]:
        """Notices after `after`, waiting up to `block_ms` for the first."""
        reply: Any = await self._redis.xread({self.notices_stream: after}, count=500, block=block_ms)
        if not reply:
            return []
        rows = next(iter(reply.values())) if isinstance(reply, dict) else reply[0][1]
        return [
            AckNotice(entry_id, fields.get("event_id", ""), fields.get("by", "?"))
            for entry_id, fields in rows
            if fields and fields.get("event_id")
        ]
