"""Operations view of the event stream: entries the consumer could not read. Role `ops` only."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from central.dependencies import OpsStaffDep
from central.events.consumer import EventConsumer
from central.events.dead_letters import DeadLetter

router = APIRouter(prefix="/api/ops", tags=["ops"])


class DeadLetterReport(BaseModel):
    counts: dict[str, int]
    """Parked entries per reason, over all central instances."""
    parked_here: int
    """Entries this instance parked since it started."""
    recent: list[DeadLetter]
    """Newest first."""


@router.get("/dead-letters")
async def dead_letters(
    request: Request, _staff: OpsStaffDep, limit: int = Query(50, ge=1, le=1000)
) -> DeadLetterReport:
    """Stream entries that were parked instead of shown, with the reason."""
    consumer: EventConsumer = request.app.state.consumer
    letters = consumer.dead_letters
    counts, recent = await letters.counts(), await letters.recent(limit)
    return DeadLetterReport(counts=counts, parked_here=letters.parked, recent=recent)
