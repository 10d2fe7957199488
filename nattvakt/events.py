"""The event record that travels from camera nodes to central.

Shared by `camera_node` (producer) and `central` (consumer) so neither imports the other.
Unknown extra fields from newer producers are kept, not dropped; an entry this code cannot
understand (not JSON, wrong types, unknown kind or schema version) raises `EventRejected`
with a short reason, so the consumer can park it instead of crashing on it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ulid import ULID

from nattvakt.errors import NattvaktError

SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})
"""Versions this code can read; entries written with any other version are parked, not guessed at."""

EventKind = Literal[
    "motion",
    "person_entered",
    "bed_exit",
    "out_of_bed_too_long",
    "on_floor",
    "person_not_visible",
    "left_room",
    "multiple_people",
    "camera_fault",
    "light_change",
    "detector_fault",
    "node_offline",
    "events_dropped",
    "visit_overdue",
]
KNOWN_KINDS: frozenset[str] = frozenset(get_args(EventKind))
EventState = Literal["open", "updated", "ended"]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where events come from: the node, the room it watches and the care recipient living there."""

    node: str
    room: str
    recipient: str = ""


class Severity(IntEnum):
    """How urgently night staff must react; ordered so the feed can sort by it."""

    INFO = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4


def new_event_id() -> str:
    """A sortable, unique id (ULID): the same id is reused for every update of one situation."""
    return str(ULID())


def deterministic_event_id(at_ms: int, name: str) -> str:
    """A ULID made only from (time, name): every central instance derives the same id for one situation."""
    return str(ULID.from_bytes(at_ms.to_bytes(6, "big") + hashlib.sha256(name.encode()).digest()[:10]))


def utc_now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """One situation in a room, as opened, updated or ended by a node."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(default_factory=new_event_id, min_length=1, max_length=64)
    """Stable id of the situation; updates and the end carry the same id."""
    schema_version: int = SCHEMA_VERSION
    """Version of this schema the producer wrote."""
    seq: int = Field(0, ge=0)
    """Per-situation revision (0 when opened), so open/updated/ended are told apart and ordered."""
    node: str = Field(min_length=1, max_length=64)
    """Camera node that saw it."""
    room: str = Field(min_length=1, max_length=64)
    """Room the node watches."""
    recipient: str = Field("", max_length=128)
    """Care recipient in the room."""
    kind: EventKind
    """What happened."""
    severity: Severity = Severity.INFO
    """How urgent it is."""
    state: EventState = "open"
    """Whether the situation has just opened, changed, or ended."""
    started_at: datetime = Field(default_factory=utc_now)
    """When the situation began (UTC)."""
    ended_at: datetime | None = None
    """When it ended, once it has."""
    confidence: float = Field(1.0, ge=0.0, le=1.0)
    """How sure the node is."""
    zone: str | None = Field(None, max_length=64)
    """Zone of the room (bed, floor, door) when the rule is zone-based."""
    details: dict[str, Any] = Field(default_factory=dict)
    """Kind-specific figures (motion score, fault reason)."""

    @property
    def revision_key(self) -> tuple[str, int]:
        """Identity of this exact message: duplicates share it."""
        return (self.id, self.seq)

    def to_stream_fields(self) -> dict[str, str]:
        """Encoding used in the Redis Stream entry."""
        return stream_fields(self.schema_version, self.model_dump_json())

    @classmethod
    def from_stream_fields(cls, fields: Mapping[str, str]) -> Event:
        """Decode a Redis Stream entry; raises `EventRejected` (a `ValueError`) on anything it cannot read."""
        return decode_stream_entry(fields)


def stream_fields(version: int, body: str) -> dict[str, str]:
    """The wire format of one stream entry: the schema version and the event as JSON (`decode_stream_entry` reads it).

    Every producer writes entries through this, the idempotent XADD script (`nattvakt.bus`) included.
    """
    return {"v": str(version), "event": body}


class EventRejected(NattvaktError, ValueError):
    """A stream entry that cannot become an `Event`; `reason` is a short code for counting and ops."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def decode_stream_entry(fields: Mapping[str, str]) -> Event:
    """Decode a stream entry; on failure, check it step by step so the rejection says what exactly is wrong."""
    raw = fields.get("event")
    if raw is None:
        raise EventRejected("no_event_field", f"stream entry has no 'event' field: keys {sorted(fields)!r}")
    try:
        event = Event.model_validate_json(raw)  # fast path: pydantic parses the JSON itself
    except ValueError:
        pass
    else:
        if event.schema_version in SUPPORTED_SCHEMA_VERSIONS:
            return event
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise EventRejected("not_json", f"'event' is not JSON ({exc}): {raw[:80]!r}") from exc
    if not isinstance(data, dict):
        raise EventRejected("not_an_object", f"'event' is JSON {type(data).__name__}, not an object")
    version = data.get("schema_version", SCHEMA_VERSION)
    # Type checks first: a list or dict is unhashable, and `in frozenset` would raise TypeError.
    if not isinstance(version, int) or isinstance(version, bool) or version not in SUPPORTED_SCHEMA_VERSIONS:
        raise EventRejected(
            "unknown_version",
            f"schema_version {version!r:.80}; this reader knows {sorted(SUPPORTED_SCHEMA_VERSIONS)}",
        )
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KNOWN_KINDS:
        raise EventRejected("unknown_kind", f"kind {kind!r:.80} is not one of {len(KNOWN_KINDS)} known kinds")
    try:
        return Event.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        got = repr(first.get("input"))[:80]
        raise EventRejected(
            "invalid", f"{exc.error_count()} error(s), first at {where!r}: {first['msg']} (got {got})"
        ) from exc
    except (TypeError, ValueError) as exc:  # anything else pydantic or a validator lets through
        raise EventRejected("invalid", f"{type(exc).__name__}: {str(exc)[:200]}") from exc
