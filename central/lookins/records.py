"""What central knows of a look-in it relays, and the errors of relaying one: shared by the hub (this instance's
node channels) and the relay between instances (`central.lookins.relay`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from central.errors import CentralError


class NodeUnavailableError(CentralError, RuntimeError):
    """The node has no control channel to any central instance, or did not answer in time."""


class NodeBusyError(CentralError, RuntimeError):
    """The node already shows as many look-ins as it allows (one viewer per room by default)."""


@dataclass
class LiveLookin:
    """A look-in central has relayed, until the node reports its stop."""

    lookin_id: str
    node_id: str
    recipient_id: int
    staff: str
    room: str
    action: str
    reason: str
    event_id: str | None
    requested_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_at: datetime | None = None
