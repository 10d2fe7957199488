"""The live event feed: list, server-sent stream, acknowledge."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.sse import EventSourceResponse, ServerSentEvent

from central.dependencies import ConsumerDep, FeedDep, StaffDep
from central.event_feed import FeedItem
from central.schemas import FeedEntry

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/events", tags=["events"])

EventId = Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")


def _entry(item: FeedItem) -> FeedEntry:
    return FeedEntry(event=item.event, acknowledged_by=item.acknowledged_by)


@router.get("")
def list_events(feed: FeedDep, _staff: StaffDep) -> list[FeedEntry]:
    """Recent events, newest first."""
    return [_entry(item) for item in feed.recent()]


@router.get("/stream", response_class=EventSourceResponse)
async def stream_events(feed: FeedDep, _staff: StaffDep) -> AsyncIterator[ServerSentEvent]:
    """Each new or changed event as it arrives (server-sent events)."""
    queue = feed.subscribe()
    try:
        while True:
            item = await queue.get()
            yield ServerSentEvent(data=_entry(item).model_dump(mode="json"), event="event", id=item.event.id)
    finally:
        feed.unsubscribe(queue)


@router.post("/{event_id}/ack")
async def acknowledge(event_id: str = EventId, *, feed: FeedDep, consumer: ConsumerDep, staff: StaffDep) -> FeedEntry:
    """Staff have seen and acted on the event: only now is it acknowledged on the stream."""
    item = feed.get(event_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no recent event with id {event_id!r}")
    await consumer.ack(item.entry_ids)
    item.entry_ids.clear()
    if item.acknowledged_by is None:
        item.acknowledged_by = staff.username
        feed.announce(item)
        log.info("event %s (%s) acknowledged by %s", event_id, item.event.kind, staff.username)
    return _entry(item)
