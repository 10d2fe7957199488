"""Bodies of the live event feed API."""

from __future__ import annotations

from pydantic import BaseModel

from central.lookins.schemas import LookinOffer
from nattvakt.events import Event


class FeedEntry(BaseModel):
    event: Event
    acknowledged_by: str | None = None
    needs_acknowledgement: bool = True
    """Whether staff are asked to acknowledge it (`central.events.feed.needs_acknowledgement`); the page shows
    a "Kvittera" button only then and folds the rest into the room's row."""
    lookin: LookinOffer | None = None
    """Whether "Titta in" may be offered for it now (in the list and the stream; None where not worked out)."""
