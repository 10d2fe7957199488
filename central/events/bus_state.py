"""Whether alarms can reach this central: its consumer runs and reaches the event bus (Redis).

The console shows a red state when they cannot, and central's API answers 503 with `BUS_DOWN_DETAIL` when a request
needs the bus and it is away: alarms not arriving is itself an alarm for the night patrol.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from central.events.consumer import EventConsumer

BUS_DOWN_DETAIL = "the event bus (Redis) is unreachable: alarms cannot reach the console; make physical rounds"


class BusState(BaseModel):
    ok: bool
    """True while new events reach this central."""
    reason: Literal["bus_unreachable", "consumer_stopped"] | None = None
    """Why not, when not."""


def bus_state(consumer: EventConsumer) -> BusState:
    if not consumer.alive:
        return BusState(ok=False, reason="consumer_stopped")
    if not consumer.connected:
        return BusState(ok=False, reason="bus_unreachable")
    return BusState(ok=True)
