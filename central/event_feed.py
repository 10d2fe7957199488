"""What the console shows: the latest revision of each recent event, and live subscribers.

Items are kept in stream order (by the entry id that first carried them), so each node's events
stay in the order the node sent them even when older entries arrive late (claimed from a dead
central instance). Revisions already shown are remembered beyond the history, so a late duplicate
is recognised even after its event left the feed. Only settled items (nothing left to XACK) are
ever evicted: an alarm waiting for staff never silently falls off the console.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass, field

from nattvakt.events import Event

log = logging.getLogger(__name__)

EntryPosition = tuple[int, int]


def entry_position(entry_id: str) -> EntryPosition:
    """Redis stream ids ("<ms>-<n>") as comparable tuples."""
    ms, _, n = entry_id.partition("-")
    return int(ms), int(n or 0)


@dataclass(slots=True)
class FeedItem:
    event: Event
    """Latest revision of the situation."""
    entry_ids: list[str] = field(default_factory=list)
    """Stream entries (open, updates, end) still to XACK for this situation."""
    acknowledged_by: str | None = None
    position: EntryPosition = (0, 0)
    """Earliest stream entry seen for this situation: the feed's sort key."""


class EventFeed:
    """Keeps recent events by id, drops duplicates, and fans new revisions out to subscribers."""

    def __init__(self, history: int, dedup_window: int | None = None) -> None:
        self._history = history
        self._dedup_window = dedup_window or max(20 * history, 10_000)
        self._items: OrderedDict[str, FeedItem] = OrderedDict()
        self._shown: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._subscribers: set[asyncio.Queue[FeedItem]] = set()

    def __len__(self) -> int:
        return len(self._items)

    def add(self, entry_id: str, event: Event) -> bool:
        """Record a stream entry; returns False for a duplicate or an older revision than shown."""
        position = entry_position(entry_id)
        item = self._items.get(event.id)
        if item is None:
            if event.revision_key in self._shown:
                return False  # shown before, settled and evicted since: a late duplicate
            item = FeedItem(event, [entry_id], position=position)
            in_order = not self._items or next(reversed(self._items.values())).position <= position
            self._items[event.id] = item
            if not in_order:
                self._sort()
        else:
            if entry_id not in item.entry_ids:
                item.entry_ids.append(entry_id)
            if position < item.position:
                item.position = position
                self._sort()
            if event.seq <= item.event.seq:
                return False
            item.event = event
        self._remember(event.revision_key)
        self._evict()
        for queue in self._subscribers:
            queue.put_nowait(item)
        return True

    def _sort(self) -> None:
        self._items = OrderedDict(sorted(self._items.items(), key=lambda pair: pair[1].position))

    def _remember(self, key: tuple[str, int]) -> None:
        self._shown[key] = None
        while len(self._shown) > self._dedup_window:
            self._shown.popitem(last=False)

    def _evict(self) -> None:
        excess = len(self._items) - self._history
        if excess <= 0:
            return
        settled: list[str] = []
        for event_id, item in self._items.items():  # oldest first; usually the very first one is settled
            if not item.entry_ids:
                settled.append(event_id)
                if len(settled) == excess:
                    break
        for event_id in settled:
            del self._items[event_id]
        if len(settled) < excess and log.isEnabledFor(logging.DEBUG):
            log.debug("feed holds %d events awaiting acknowledgement beyond its history", excess - len(settled))

    def get(self, event_id: str) -> FeedItem | None:
        return self._items.get(event_id)

    def recent(self) -> list[FeedItem]:
        """Newest first."""
        return list(reversed(self._items.values()))

    def subscribe(self) -> asyncio.Queue[FeedItem]:
        queue: asyncio.Queue[FeedItem] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[FeedItem]) -> None:
        self._subscribers.discard(queue)

    def announce(self, item: FeedItem) -> None:
        """Tell subscribers an item changed outside the stream (acknowledged)."""
        for queue in self._subscribers:
            queue.put_nowait(item)
