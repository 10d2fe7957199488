"""What the console shows: the latest revision of each recent event, and live subscribers.

Items are kept in stream order (by the entry id that first carried them), so each node's events
stay in the order the node sent them even when older entries arrive late (claimed from a dead
central instance). Revisions already shown are remembered beyond the history, so a late duplicate
is recognised even after its event left the feed. Only settled items (acknowledged by staff, or
resolved by policy) are ever evicted: an alarm waiting for staff never silently falls off the console.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace

from nattvakt.events import Event, Severity

log = logging.getLogger(__name__)

EntryPosition = tuple[int, int]


def needs_acknowledgement(event: Event) -> bool:
    """Policy: staff acknowledge what may need them (LOW and up); an informational event (motion, a person entering,
    a light change) never waits for anyone, open or ended, so a night of them cannot bury an alarm."""
    return event.severity > Severity.INFO


def auto_resolves(event: Event) -> bool:
    """Settled by policy as soon as it is seen: no one is asked to acknowledge it."""
    return not needs_acknowledgement(event)


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

    @property
    def settled(self) -> bool:
        """Nothing more for staff to do: acknowledged, or resolved by policy."""
        return self.acknowledged_by is not None or auto_resolves(self.event)


class EventFeed:
    """Keeps recent events by id, drops duplicates, and fans new revisions out to subscribers."""

    def __init__(self, history: int, dedup_window: int | None = None) -> None:
        self._history = history
        self._dedup_window = dedup_window or max(20 * history, 10_000)
        self._items: OrderedDict[str, FeedItem] = OrderedDict()
        self._shown: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._acknowledged: OrderedDict[str, str] = OrderedDict()
        """Event id -> who acknowledged it, also for events not (yet) in the feed on this instance."""
        self._subscribers: set[asyncio.Queue[FeedItem]] = set()
        self.seen_by_kind: Counter[tuple[str, str]] = Counter()
        """Situations seen, by (kind, severity name): the metrics' event counts."""

    def __len__(self) -> int:
        return len(self._items)

    def add(self, entry_id: str, event: Event) -> bool:
        """Record a stream entry; returns False for a duplicate or an older revision than shown."""
        position = entry_position(entry_id)
        item = self._items.get(event.id)
        if item is None:
            if event.revision_key in self._shown:
                return False  # shown before, settled and evicted since: a late duplicate
            item = FeedItem(event, [entry_id], self._acknowledged.get(event.id), position=position)
            self.seen_by_kind[(event.kind, event.severity.name)] += 1
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
        self._tell(item)
        return True

    def _tell(self, item: FeedItem) -> None:
        """Each subscriber gets the item as it is now: a copy, so a revision read from the bus together with this
        one cannot overwrite it before a subscriber sends it (an event that opens and ends at once shows both)."""
        snapshot = replace(item, entry_ids=list(item.entry_ids))
        for queue in self._subscribers:
            queue.put_nowait(snapshot)

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
            if item.settled and not item.entry_ids:  # and nothing of it left to XACK here
                settled.append(event_id)
                if len(settled) == excess:
                    break
        for event_id in settled:
            del self._items[event_id]
        if len(settled) < excess and log.isEnabledFor(logging.DEBUG):
            log.debug("feed holds %d events awaiting acknowledgement beyond its history", excess - len(settled))

    @property
    def history(self) -> int:
        """How many events the feed keeps (more while some await acknowledgement)."""
        return self._history

    def acknowledge(self, event_id: str, by: str) -> FeedItem | None:
        """Record who acknowledged an event (the first name wins) and tell subscribers; returns its item."""
        if event_id not in self._acknowledged:
            self._acknowledged[event_id] = by
            while len(self._acknowledged) > self._dedup_window:
                self._acknowledged.popitem(last=False)
        item = self._items.get(event_id)
        if item is not None and item.acknowledged_by is None:
            item.acknowledged_by = self._acknowledged.get(event_id, by)
            self.announce(item)
        return item

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
        self._tell(item)


def take_settled(item: FeedItem) -> list[str]:
    """The stream entries of a settled item, handed over once to be acknowledged; nothing while it is open."""
    if not item.settled:
        return []
    ids = item.entry_ids[:]
    item.entry_ids.clear()
    return ids
