"""One database session for every live stream that has events to send: their login checks and the events as the
console shows them (with whether a look-in is offered), done together.

Each open console re-checks its login before it sends a batch of events, so a logged-out console gets nothing more.
Done per console, a burst of events cost every console its own thread hop, pool checkout and queries; with twenty
consoles on one instance that was most of central's time. The gate gathers the requests that arrive while one round
is running and answers them all in the next round: each request is still checked after it was made, and each item
revision is rendered once for all consoles.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from central.events.feed import EventFeed, FeedItem, needs_acknowledgement
from central.events.schemas import FeedEntry
from central.lookins.offer import offer_now
from central.staff.service import live_tokens

Rendered = list[FeedEntry] | None
"""The items as the console shows them, or None once the stream's login session is gone."""


@dataclass
class _Request:
    token: str
    items: list[FeedItem]
    answer: asyncio.Future[Rendered] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


def offered(db: Session, feed: EventFeed, item: FeedItem) -> FeedEntry:
    """The entry with whether consent allows a look-in on it now (the page offers "Titta in" only then)."""
    return FeedEntry(event=item.event, acknowledged_by=item.acknowledged_by,
                     needs_acknowledgement=needs_acknowledgement(item.event),
                     lookin=offer_now(db, feed, event_id=item.event.id))


def _round(sessions: sessionmaker[Session], feed: EventFeed, requests: list[_Request]) -> list[Rendered]:
    with sessions() as db:
        live = live_tokens(db, {request.token for request in requests})
        shown: dict[tuple[str, int, str | None], FeedEntry] = {}
        answers: list[Rendered] = []
        for request in requests:
            if request.token not in live:
                answers.append(None)
                continue
            entries = []
            for item in request.items:
                key = (item.event.id, item.event.seq, item.acknowledged_by)
                if key not in shown:
                    shown[key] = offered(db, feed, item)
                entries.append(shown[key])
            answers.append(entries)
        return answers


class StreamGate:
    """Coalesces the live streams' login checks and renders into rounds of one database session each."""

    def __init__(self, sessions: sessionmaker[Session], feed: EventFeed) -> None:
        self._sessions = sessions
        self._feed = feed
        self._waiting: list[_Request] = []
        self._running: asyncio.Task[None] | None = None

    async def check_and_render(self, token: str, items: list[FeedItem]) -> Rendered:
        """`items` as the console shows them, or None when the login session `token` has ended."""
        request = _Request(token, items)
        self._waiting.append(request)
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._rounds(), name="stream gate")
        return await request.answer

    async def _rounds(self) -> None:
        while self._waiting:
            requests, self._waiting = self._waiting, []
            try:
                answers = await run_in_threadpool(_round, self._sessions, self._feed, requests)
            except Exception as exc:  # each stream raises it as it did when it asked the database itself
                for request in requests:
                    if not request.answer.done():
                        request.answer.set_exception(exc)
                continue
            for request, answer in zip(requests, answers, strict=True):
                if not request.answer.done():
                    request.answer.set_result(answer)
