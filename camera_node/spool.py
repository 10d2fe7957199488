"""Durable local spool: every event is on disk before it is sent, and leaves only once Redis has it.

SQLite in WAL mode with `synchronous=FULL`: a committed append survives a crash or a power cut.
The spool is bounded; when full it drops the lowest-severity, oldest situation first and counts what
it dropped. A situation goes whole: its open with all its revisions here, and every later revision
of it as it arrives, so the console never gets an `ended` without its `open` (or the reverse). The
`ended` of a situation whose `open` already went out is kept, like HIGH events, which are never
dropped (the spool grows past its bound for them instead).

Not thread-safe: the publisher calls it from one dedicated thread.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from camera_node.errors import CameraNodeError
from nattvakt.events import Event, Severity

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    pos INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: positions are never reused, so order survives restarts
    event_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    severity INTEGER NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (event_id, seq)
);
CREATE INDEX IF NOT EXISTS spool_drop_order ON spool (severity, pos);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dropped_situations (event_id TEXT PRIMARY KEY);  -- later revisions of these go too
"""

_REMEMBER_DROPPED = 10_000
"""Situations remembered as dropped: far more than a node opens while Redis is away."""

# Candidates to drop, lowest severity and oldest first: never HIGH, never above the newcomer, and never the
# `ended` of a situation whose open was sent already (dropping that would leave the console an open forever).
_VICTIM = """
SELECT pos, event_id, seq, kind, severity, EXISTS (SELECT 1 FROM spool o WHERE o.event_id = s.event_id AND o.seq = 0)
FROM spool s
WHERE severity < ? AND severity <= ?
  AND NOT (seq > 0 AND json_extract(body, '$.state') = 'ended'
           AND NOT EXISTS (SELECT 1 FROM spool o WHERE o.event_id = s.event_id AND o.seq = 0))
ORDER BY severity, pos LIMIT 1
"""


class SpoolError(CameraNodeError):
    """The spool file cannot be opened or written (disk full, permissions, in use by another node)."""


@dataclass(frozen=True, slots=True)
class SpooledEvent:
    pos: int
    """Position in the spool: the order events were submitted in."""
    event_id: str
    seq: int
    version: int
    """Schema version the event was written with."""
    body: str
    """The event as JSON, exactly as it goes into the stream."""


@dataclass(frozen=True, slots=True)
class DroppedEvent:
    event_id: str
    seq: int
    kind: str
    severity: int


class Spool:
    """A bounded FIFO of events on local disk."""

    def __init__(self, path: Path, max_events: int) -> None:
        self._path = path
        self._max_events = max_events
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction (one fsync) per batch.
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            # Exclusive: a second node process with the same spool fails here instead of sending twice.
            self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
            self._db.executescript(_SCHEMA)
            self._db.execute("BEGIN IMMEDIATE")  # takes the exclusive lock now, not at the first event
            self._db.execute("COMMIT")
            (self._count,) = self._db.execute("SELECT count(*) FROM spool").fetchone()
        except sqlite3.Error as exc:
            raise SpoolError(f"cannot open the event spool {str(path)!r}: {exc} (is another node using it?)") from exc

    def __len__(self) -> int:
        return int(self._count)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def dropped_total(self) -> int:
        """Events dropped because the spool was full, over the spool file's whole life."""
        row = self._db.execute("SELECT value FROM counters WHERE name = 'dropped'").fetchone()
        return int(row[0]) if row else 0

    def append(self, events: Sequence[Event]) -> list[DroppedEvent]:
        """Store events in order in one durable transaction; returns what the bound forced out."""
        return self.append_rows(events)[1]

    def append_rows(self, events: Sequence[Event]) -> tuple[list[SpooledEvent], list[DroppedEvent]]:
        """As `append`, also returning the rows stored, so the sender need not read them back."""
        stored: list[SpooledEvent] = []
        dropped: list[DroppedEvent] = []
        count_before = self._count
        try:
            self._db.execute("BEGIN IMMEDIATE")
            for event in events:
                if self._follows_dropped(event):
                    dropped.append(DroppedEvent(event.id, event.seq, event.kind, int(event.severity)))
                    continue
                if self._count >= self._max_events and (
                    not self._make_room_for(event, dropped) or self._follows_dropped(event)
                ):
                    dropped.append(DroppedEvent(event.id, event.seq, event.kind, int(event.severity)))
                    continue
                body = event.model_dump_json()
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO spool (event_id, seq, kind, severity, version, body)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (event.id, event.seq, event.kind, int(event.severity), event.schema_version, body),
                )
                if cursor.rowcount and cursor.lastrowid is not None:
                    self._count += 1
                    stored.append(SpooledEvent(cursor.lastrowid, event.id, event.seq, event.schema_version, body))
            if dropped:
                self._db.execute(
                    "INSERT INTO counters (name, value) VALUES ('dropped', ?)"
                    " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                    (len(dropped),),
                )
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            self._count = count_before
            raise SpoolError(f"cannot write {len(events)} event(s) to the spool {str(self._path)!r}: {exc}") from exc
        return stored, dropped

    def _follows_dropped(self, event: Event) -> bool:
        """A later, non-HIGH revision of a situation whose open was dropped goes the same way."""
        if event.seq == 0 or event.severity >= Severity.HIGH:
            return False
        row = self._db.execute("SELECT 1 FROM dropped_situations WHERE event_id = ?", (event.id,)).fetchone()
        return row is not None

    def _make_room_for(self, event: Event, dropped: list[DroppedEvent]) -> bool:
        """Drop the lowest-severity, oldest situation that may go, else `event` itself; True if `event` stays."""
        row = self._db.execute(_VICTIM, (int(Severity.HIGH), int(event.severity))).fetchone()
        if row is not None:
            pos, event_id, _seq, _kind, _severity, opened_here = row
            if not opened_here:  # an update of a situation already sent: only this revision goes
                self._delete("pos = ?", (pos,), dropped)
            else:
                self._delete("event_id = ? AND severity < ?", (event_id, int(Severity.HIGH)), dropped)
                self._remember_dropped(event_id)
            return True
        if event.severity >= Severity.HIGH or (event.seq > 0 and event.state == "ended"):
            log.warning("spool %s is full; keeping %s %s beyond the bound", self._path, event.kind, event.id)
            return True
        if event.seq == 0:
            self._remember_dropped(event.id)
        return False

    def _delete(self, where: str, args: tuple[object, ...], dropped: list[DroppedEvent]) -> None:
        rows = self._db.execute(f"DELETE FROM spool WHERE {where} RETURNING event_id, seq, kind, severity", args)
        gone = [DroppedEvent(*row) for row in rows.fetchall()]
        self._count -= len(gone)
        dropped.extend(gone)

    def _remember_dropped(self, event_id: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO dropped_situations (event_id) VALUES (?)", (event_id,))
        self._db.execute(
            "DELETE FROM dropped_situations WHERE rowid <= (SELECT max(rowid) FROM dropped_situations) - ?",
            (_REMEMBER_DROPPED,),
        )

    def read(self, after: int, limit: int) -> list[SpooledEvent]:
        """Up to `limit` events after position `after`, oldest first."""
        try:
            rows = self._db.execute(
                "SELECT pos, event_id, seq, version, body FROM spool WHERE pos > ? ORDER BY pos LIMIT ?", (after, limit)
            ).fetchall()
        except sqlite3.Error as exc:
            raise SpoolError(f"cannot read the spool {str(self._path)!r}: {exc}") from exc
        return [SpooledEvent(*row) for row in rows]

    def remove_through(self, pos: int) -> None:
        """Forget every event up to and including `pos` (Redis has them)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            cursor = self._db.execute("DELETE FROM spool WHERE pos <= ?", (pos,))
            self._db.execute("COMMIT")
            self._count -= cursor.rowcount  # only once committed: a rolled-back delete removed nothing
        except sqlite3.Error as exc:
            self._rollback()
            raise SpoolError(f"cannot remove sent events from the spool {str(self._path)!r}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
