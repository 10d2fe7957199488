"""Bodies of the live event feed API."""

from __future__ import annotations

from pydantic import BaseModel

from nattvakt.events import Event


class FeedEntry(BaseModel):
    event: Event
    acknowledged_by: str | None = None
