"""The audit trail in the relational store: append, verify, prune, and read one recipient's records.

Appends from several central instances are serialised: the single `audit_chain` row is read `FOR UPDATE`
(PostgreSQL waits there), and the record's sequence number is the primary key, so on SQLite (which ignores
FOR UPDATE) the loser of a race fails on commit and `commit_with_retry` redoes its whole unit of work.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from central.audit.models import AuditChain, AuditEntry
from central.errors import CentralError
from privacy.audit import GENESIS, PRUNE_KIND, AuditRecord, ChainPoint, Verification, next_record, verify_chain

log = logging.getLogger(__name__)
T = TypeVar("T")
_CHAIN_ROW = 1


class AuditStoreError(CentralError, RuntimeError):
    """The audit trail could not be written; the action it records must not go ahead."""


def _chain_row(db: Session) -> AuditChain:
    chain = db.scalars(select(AuditChain).where(AuditChain.id == _CHAIN_ROW).with_for_update()).first()
    if chain is None:
        chain = AuditChain(id=_CHAIN_ROW, head_seq=0, head_hash=GENESIS.hash, anchor_seq=0, anchor_hash=GENESIS.hash)
        db.add(chain)
    return chain


def append(
    db: Session, kind: str, actor: str, recipient_id: int | None, details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditRecord:
    """Add the next record to the current transaction (the caller commits, through `commit_with_retry`)."""
    chain = _chain_row(db)
    record = next_record(
        ChainPoint(chain.head_seq, chain.head_hash), at or datetime.now(UTC), kind, actor, recipient_id, details or {}
    )
    db.add(AuditEntry(
        seq=record.seq, at=record.at, kind=kind, actor=actor, recipient_id=recipient_id,
        details=json.dumps(record.details, sort_keys=True, ensure_ascii=False), prev_hash=record.prev_hash,
        hash=record.hash,
    ))
    chain.head_seq, chain.head_hash = record.seq, record.hash
    db.flush()
    return record


def commit_with_retry(db: Session, work: Callable[[Session], T], attempts: int = 30) -> T:
    """Run `work` and commit; when another writer won the race, roll back and run it again."""
    for attempt in range(1, attempts + 1):
        try:
            result = work(db)
            db.commit()
            return result
        except (IntegrityError, OperationalError) as exc:
            db.rollback()
            if attempt == attempts:
                raise AuditStoreError(f"could not append to the audit trail after {attempts} attempts: {exc}") from exc
            log.debug("audit append lost a race (attempt %s): %s", attempt, exc)
            time.sleep(random.uniform(0, 0.005 * attempt))
        except BaseException:
            db.rollback()
            raise
    raise AssertionError("unreachable")


def record(db: Session, kind: str, actor: str, recipient_id: int | None, details: dict[str, Any] | None = None) -> None:
    """Append one record in its own transaction."""
    commit_with_retry(db, lambda s: append(s, kind, actor, recipient_id, details))


def _as_record(row: AuditEntry) -> AuditRecord:
    return AuditRecord(row.seq, row.at, row.kind, row.actor, row.recipient_id, json.loads(row.details),
                       row.prev_hash, row.hash)


def iter_records(db: Session) -> Iterator[AuditRecord]:
    for row in db.scalars(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000)):
        yield _as_record(row)


def verify(db: Session) -> Verification:
    """Check the whole stored chain."""
    chain = db.get(AuditChain, _CHAIN_ROW)
    if chain is None:
        count = db.scalar(select(func.count()).select_from(AuditEntry)) or 0
        if count:
            return Verification(False, 0, None, "the audit chain's head row is missing")
        return Verification(True, 0)
    return verify_chain(iter_records(db), ChainPoint(chain.anchor_seq, chain.anchor_hash),
                        ChainPoint(chain.head_seq, chain.head_hash))


def prune(db: Session, retention_years: float, now: datetime | None = None) -> int:
    """Remove records older than the retention period; a pruning record names the new anchor. Returns how many."""
    cutoff = (now or datetime.now(UTC)).astimezone(UTC) - timedelta(days=365.25 * retention_years)

    def work(s: Session) -> int:
        chain = _chain_row(s)
        last_old = s.scalars(
            select(AuditEntry).where(AuditEntry.at < cutoff).order_by(AuditEntry.seq.desc()).limit(1)
        ).first()
        if last_old is None:
            return 0
        through = ChainPoint(last_old.seq, last_old.hash)
        append(s, PRUNE_KIND, "system", None, {
            "through_seq": through.seq, "through_hash": through.hash, "cutoff": cutoff.isoformat(),
        })
        removed = s.execute(delete(AuditEntry).where(AuditEntry.seq <= through.seq)).rowcount  # type: ignore[attr-defined]
        chain.anchor_seq, chain.anchor_hash = through.seq, through.hash
        return int(removed)

    return commit_with_retry(db, work)


def records_for(db: Session, recipient_id: int, start: datetime, end: datetime) -> list[AuditRecord]:
    """One recipient's records in [start, end), oldest first."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)  # stored as UTC; SQLite compares the text
    rows = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.recipient_id == recipient_id, AuditEntry.at >= start, AuditEntry.at < end)
        .order_by(AuditEntry.seq)
    )
    return [_as_record(row) for row in rows]
