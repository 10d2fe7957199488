"""Messages of the node↔central control channel (one JSON object per WebSocket text message).

Shared by `camera_node` and `central` so neither imports the other. Central → node: a consent copy, the room's zones,
a look-in offer, a close, a request for a commissioning still. Node → central: hello (registration), an answer or a
refusal, the start and stop of a stream, and the still. SDP is non-trickle: aiortc gathers its candidates before it
returns a description, so one answer carries everything.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from nattvakt.settings import ZoneSettings
from nattvakt.types import Action, PrivacyLevel

LookinIdStr = Annotated[str, Field(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
MAX_SDP_CHARS = 64_000


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Hello(_Message):
    """The node introduces itself once connected (its identity is already proven by its token)."""

    type: Literal["hello"] = "hello"
    node_id: str = Field(min_length=1, max_length=64)
    room: str = Field(max_length=64)
    max_viewers: int = Field(1, ge=1, le=8)
    """Look-ins this node streams at once."""
    active: tuple[LookinIdStr, ...] = ()
    """Look-ins still streaming (after a reconnect), so central keeps its records straight."""


class ConsentCopyNotice(_Message):
    """A new signed consent copy for this node (the node verifies it; central cannot forge a newer consent)."""

    type: Literal["consent_copy"] = "consent_copy"
    copy_text: str = Field(min_length=2, max_length=200_000)


class ZonesNotice(_Message):
    """The zones ops drew on this node's view in the console; the node's rules use them from the next frame (they
    replace the node's own `zones` setting, which holds only until central first sends some)."""

    type: Literal["zones"] = "zones"
    zones: tuple[ZoneSettings, ...] = Field(max_length=16)

    @field_validator("zones")
    @classmethod
    def _unique(cls, value: tuple[ZoneSettings, ...]) -> tuple[ZoneSettings, ...]:
        names = [zone.name for zone in value]
        if len(names) != len(set(names)):
            raise ValueError(f"zone names must be unique, got {names}")
        return value


class Offer(_Message):
    """Central asks the node to answer a browser's offer for a look-in that central has authorised."""

    type: Literal["offer"] = "offer"
    lookin_id: LookinIdStr
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)
    action: Action
    reason: str = Field("", max_length=64)
    """Event kind for an event look-in; empty for a scheduled one."""
    event_id: str | None = Field(None, max_length=64)
    level: PrivacyLevel | None = None
    """The level central decided; the node streams at the stronger of this and its own."""
    max_duration_s: float = Field(30.0, gt=0, le=600)
    staff: str = Field("", max_length=128)


class Answer(_Message):
    type: Literal["answer"] = "answer"
    lookin_id: LookinIdStr
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)
    level: PrivacyLevel
    max_duration_s: float = Field(gt=0, le=600)


class Refused(_Message):
    """The node will not stream: `code` as the policy's (`paused`, `withdrawn`, ...), or `busy`, `bad_sdp`."""

    type: Literal["refused"] = "refused"
    lookin_id: LookinIdStr
    code: str = Field(max_length=64)
    text: str = Field("", max_length=500)


class Started(_Message):
    """The first frame went out."""

    type: Literal["started"] = "started"
    lookin_id: LookinIdStr
    level: PrivacyLevel


class Stopped(_Message):
    """The stream ended; `why` is `max_duration`, `closed`, `withdrawn`, `paused`, `ice_timeout`, ..."""

    type: Literal["stopped"] = "stopped"
    lookin_id: LookinIdStr
    why: str = Field(max_length=64)
    duration_s: float = Field(ge=0)
    frames: int = Field(0, ge=0)
    started: bool = False
    """Whether any frame was sent (False: the look-in failed before its first frame)."""


class Close(_Message):
    """Central ends a look-in: staff closed it, or its reason expired (event acknowledged or ended)."""

    type: Literal["close"] = "close"
    lookin_id: LookinIdStr
    why: str = Field("closed", max_length=64)


StillIdStr = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
STILL_LEVEL: PrivacyLevel = "heavy_blur"
"""A commissioning still is made at the strongest level that still shows where bed, floor and door are (the
silhouette level's edges lose a dim room's furniture); never `faces_hidden`."""
STILL_MAX_WIDTH = 640
MAX_STILL_CHARS = 400_000
"""Base64 of the still's JPEG; a 640 px blurred frame is far smaller."""


class StillRequest(_Message):
    """Ops ask for one privacy-safe still of the view, to draw the zones on the room (central audits the look)."""

    type: Literal["still_request"] = "still_request"
    request_id: StillIdStr
    staff: str = Field("", max_length=128)


class Still(_Message):
    """The still: a JPEG of one outgoing frame at `STILL_LEVEL`, or `error` (e.g. `no_frame`) and no picture."""

    type: Literal["still"] = "still"
    request_id: StillIdStr
    level: Literal["heavy_blur"] = "heavy_blur"
    jpeg_b64: str = Field("", max_length=MAX_STILL_CHARS)
    error: str = Field("", max_length=64)


ToNode = Annotated[ConsentCopyNotice | ZonesNotice | Offer | Close | StillRequest, Field(discriminator="type")]
ToCentral = Annotated[Hello | Answer | Refused | Started | Stopped | Still, Field(discriminator="type")]
FromCentral = ConsentCopyNotice | ZonesNotice | Offer | Close | StillRequest
"""Any message central sends a node."""
TO_NODE: TypeAdapter[FromCentral] = TypeAdapter(ToNode)
TO_CENTRAL: TypeAdapter[Hello | Answer | Refused | Started | Stopped | Still] = TypeAdapter(ToCentral)

CONTROL_PATH = "/api/nodes/{node_id}/ws"
"""Central's WebSocket route; the node sends `Authorization: Bearer <token>`."""
