"""What is forwarded, and when: pure functions.

A forwarded message names no one and shows nothing: room, kind, severity, time, the round and a link to the console.
Rounds: the first when the event has waited `after_s` unacknowledged, then one every `repeat_s`, up to `max_rounds`;
acknowledging anywhere ends them (the caller stops asking).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from nattvakt.events import Event, Severity

SIGNATURE_HEADER = "X-Nattvakt-Signature"
TIMESTAMP_HEADER = "X-Nattvakt-Timestamp"


class Alarm(BaseModel):
    """The forwarded message (the webhook's JSON body and the push notification's data)."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    kind: str
    severity: str
    room: str
    started_at: datetime
    round: int
    """1 for the first forwarding of this event, 2 for the next…"""
    link: str


def alarm_of(event: Event, round_no: int, public_url: str) -> Alarm:
    """The message for one round; the event's `recipient` and `details` are left out on purpose."""
    return Alarm(event_id=event.id, kind=event.kind, severity=Severity(event.severity).name, room=event.room,
                 started_at=event.started_at, round=round_no, link=f"{public_url.rstrip('/')}/#event-{event.id}")


def due_round(waited_s: float, after_s: float, repeat_s: float, max_rounds: int) -> int:
    """The round that should have gone out after waiting `waited_s` unacknowledged (0: none yet)."""
    if waited_s < after_s:
        return 0
    return min(1 + int((waited_s - after_s) // repeat_s), max_rounds)


def body_of(alarm: Alarm) -> bytes:
    return json.dumps(alarm.model_dump(mode="json"), separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `<timestamp>.<body>`, as `sha256=<hex>`: the receiver checks it and the timestamp's age."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()
