"""The audit trail's hash chain: pure encoding, hashing and verification (storage lives in `central.audit_store`).

Each record's hash is SHA-256 over a canonical JSON encoding of its fields including the previous record's hash,
so editing, deleting or reordering any record breaks every hash from there on. The chain has a head (the last
record's sequence number and hash, kept beside the records) so deleting the newest records is caught too, and an
anchor (the last pruned record) so records older than the retention period can be removed and the rest still
verifies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
"""The `prev_hash` of the very first record."""


@dataclass(frozen=True)
class ChainPoint:
    """A position in the chain: a record's sequence number and hash."""

    seq: int
    hash: str


GENESIS = ChainPoint(0, GENESIS_HASH)
PRUNE_KIND = "audit_pruned"
"""Kind of the record written before older records are removed; its details name the new anchor."""


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the audit trail."""

    seq: int
    """Position in the chain, from 1, without gaps."""
    at: datetime
    """When it happened (UTC)."""
    kind: str
    """What happened: `login`, `login_failed`, `consent_changed`, `lookin_authorized`, `lookin_refused`, ..."""
    actor: str
    """Who did it: a staff username, `recipient`, or `system`."""
    recipient_id: int | None
    """The care recipient concerned, if any."""
    details: Mapping[str, Any] = field(default_factory=dict)
    """Kind-specific facts (JSON-encodable)."""
    prev_hash: str = GENESIS_HASH
    """Hash of the record before."""
    hash: str = ""
    """SHA-256 of this record's canonical encoding."""


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a chain."""

    ok: bool
    checked: int
    """How many records were checked."""
    first_bad_seq: int | None = None
    """The first record that does not verify (or the expected one that is missing)."""
    problem: str = ""


def _utc(moment: datetime) -> datetime:
    """Stores may hand back naive UTC; treat them as UTC so hashing is stable across databases."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def canonical_encoding(
    seq: int, at: datetime, kind: str, actor: str, recipient_id: int | None, details: Mapping[str, Any], prev_hash: str
) -> bytes:
    """The exact bytes that are hashed: sorted keys, no spaces, ASCII escapes, UTC time to the microsecond."""
    body = {
        "seq": seq,
        "at": _utc(at).isoformat(timespec="microseconds"),
        "kind": kind,
        "actor": actor,
        "recipient_id": recipient_id,
        "details": details,
        "prev_hash": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def record_hash(record: AuditRecord) -> str:
    encoded = canonical_encoding(
        record.seq, record.at, record.kind, record.actor, record.recipient_id, record.details, record.prev_hash
    )
    return hashlib.sha256(encoded).hexdigest()


def next_record(
    head: ChainPoint, at: datetime, kind: str, actor: str, recipient_id: int | None, details: Mapping[str, Any]
) -> AuditRecord:
    """The record that follows `head`, with its hash filled in."""
    draft = AuditRecord(head.seq + 1, _utc(at), kind, actor, recipient_id, dict(details), head.hash)
    return AuditRecord(draft.seq, draft.at, kind, actor, recipient_id, draft.details, head.hash, record_hash(draft))


def verify_chain(records: Iterable[AuditRecord], anchor: ChainPoint, head: ChainPoint | None) -> Verification:
    """Check records in sequence order from `anchor` (GENESIS unless pruned) to `head` (None: not recorded).

    Names the first record that was edited (hash mismatch), or that follows a deleted or reordered one
    (sequence gap or `prev_hash` mismatch), or the missing newest record when the chain stops short of its head.
    """
    expected = anchor
    checked = 0
    last_prune: AuditRecord | None = None
    for record in records:
        if record.seq != expected.seq + 1:
            missing = expected.seq + 1
            return Verification(False, checked, min(missing, record.seq),
                                f"expected record {missing} after {expected.seq}, found {record.seq}: "
                                "a record was deleted or reordered")
        if record.prev_hash != expected.hash:
            return Verification(False, checked, record.seq,
                                f"record {record.seq} does not follow record {expected.seq}: "
                                "the record before it was changed, deleted or reordered")
        if record_hash(record) != record.hash:
            return Verification(False, checked, record.seq, f"record {record.seq} was edited: its hash does not match")
        expected = ChainPoint(record.seq, record.hash)
        checked += 1
        if record.kind == PRUNE_KIND:
            last_prune = record
    if head is not None and expected != head:
        return Verification(False, checked, expected.seq + 1 if head.seq > expected.seq else expected.seq,
                            f"chain ends at record {expected.seq} but its head is record {head.seq}: "
                            "the newest records were deleted or changed")
    if anchor.seq > 0:
        named = last_prune.details if last_prune is not None else {}
        if (named.get("through_seq"), named.get("through_hash")) != (anchor.seq, anchor.hash):
            return Verification(False, checked, anchor.seq,
                                f"the chain starts after record {anchor.seq}, but no pruning record names it: "
                                "old records were deleted outside pruning")
    return Verification(True, checked)
