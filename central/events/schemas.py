"""Bodies of the live event feed API."""

from __future__ import annotations

from pydantic import BaseModel

from central.lookins.schemas import LookinOffer
from nattvakt.events import Event


class FeedEntry(BaseModel):
    event: Event
    acknowledged_by: str | None = None
    lookin: LookinOffer | None = None
    """Whether "Titta in" may be offered for it now (in the list and the stream; None where not worked out)."""
