"""Operations views: entries the consumer could not read, and the nodes' heartbeats. Role `ops` only."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from central.consumer import EventConsumer
from central.dead_letters import DeadLetter
from central.dependencies import OpsStaffDep
from central.node_monitor import NodeMonitor

router = APIRouter(prefix="/api/ops", tags=["ops"])


class DeadLetterReport(BaseModel):
    counts: dict[str, int]
    """Parked entries per reason, over all central instances."""
    parked_here: int
    """Entries this instance parked since it started."""
    recent: list[DeadLetter]
    """Newest first."""


class NodeStatus(BaseModel):
    node: str
    last_seen: datetime


@router.get("/dead-letters")
async def dead_letters(
    request: Request, _staff: OpsStaffDep, limit: int = Query(50, ge=1, le=1000)
) -> DeadLetterReport:
    """Stream entries that were parked instead of shown, with the reason."""
    consumer: EventConsumer = request.app.state.consumer
    letters = consumer.dead_letters
    counts, recent = await letters.counts(), await letters.recent(limit)
    return DeadLetterReport(counts=counts, parked_here=letters.parked, recent=recent)


@router.get("/nodes")
async def nodes(request: Request, _staff: OpsStaffDep) -> list[NodeStatus]:
    """Every node that ever sent a heartbeat, with its last one (Redis clock)."""
    monitor: NodeMonitor = request.app.state.node_monitor
    seen = await monitor.last_seen()
    return [
        NodeStatus(node=node, last_seen=datetime.fromtimestamp(ms / 1000, UTC)) for node, ms in sorted(seen.items())
    ]
