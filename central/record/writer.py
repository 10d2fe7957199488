"""Writes what the console is told into the record: each new revision and each acknowledgement, in batches.

It listens to the feed, so it sees exactly what consoles see: this instance's share of the stream, every other
instance's (the mirror) and every acknowledgement. A central that was down reads what it missed from the stream
when it comes back (the consumer group), and writes it then. Writing is idempotent by `(id, seq)` and by event id
for acknowledgements, so instances writing the same revision, or a revision read twice, leave one row.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from central.events.feed import EventFeed, FeedItem
from central.record import store

log = logging.getLogger(__name__)
BATCH = 500


class RecordWriter:
    """Owns the task that drains the feed's news into the store; on a store error it keeps the batch and retries."""

    def __init__(self, sessions: sessionmaker[Session], feed: EventFeed, retry_s: float = 2.0) -> None:
        self._sessions = sessions
        self._feed = feed
        self._retry_s = retry_s
        self._task: asyncio.Task[None] | None = None
        self.written = 0

    def start(self) -> None:
        queue = self._feed.subscribe()
        self._task = asyncio.create_task(self._run(queue), name="record writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def _write(self, items: list[FeedItem]) -> int:
        with self._sessions() as db:
            return store.write(db, items, datetime.now(UTC))

    async def _run(self, queue: asyncio.Queue[FeedItem]) -> None:
        try:
            while True:
                items = [await queue.get()]
                while not queue.empty() and len(items) < BATCH:
                    items.append(queue.get_nowait())
                while True:
                    try:
                        self.written += await asyncio.to_thread(self._write, items)
                        break
                    except SQLAlchemyError as exc:  # the store is away: keep the batch, nothing is lost
                        log.error("record: cannot write %d event revisions yet: %s", len(items), exc)
                        await asyncio.sleep(self._retry_s)
                    except Exception:  # boundary: a bug must not stop the record; skip the batch, say so loudly
                        log.exception("record: could not write a batch of %d; skipping it", len(items))
                        break
        finally:
            self._feed.unsubscribe(queue)
