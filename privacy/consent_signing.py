"""The node's copy of consent, signed by central (HMAC-SHA256 with a per-node key). Transport-agnostic.

Per-node keys are derived from central's master key: key = HMAC-SHA256(master, "nattvakt consent copy v1|" + node).
A node holds only its own key, so it cannot forge a copy for another node. Each copy carries a per-node
`copy_version` that central raises on every publish; a node rejects a copy older than the newest it has accepted,
so an old copy (say, from before a withdrawal) cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from nattvakt.consent_transport import master_key
from nattvakt.settings import Settings
from privacy.consent_model import Consent
from privacy.errors import PrivacyError

_KEY_CONTEXT = b"nattvakt consent copy v1|"


class ConsentCopyRejected(PrivacyError):
    """A consent copy failed verification; `reason` is `malformed`, `bad_signature`, `wrong_node` or `stale`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class SignedConsentCopy(BaseModel):
    """What central sends to one node: the recipient's current consent (None: no consent) and a signature."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    node_id: str = Field(min_length=1, max_length=64)
    """The node this copy is for."""
    copy_version: int = Field(ge=1)
    """Raised by central on every publish to this node."""
    issued_at: AwareDatetime
    """When central signed it."""
    consent: Consent | None
    """The current consent of the recipient in the node's room; None when there is none."""
    signature: str = Field(pattern=r"^[0-9a-f]{64}$")
    """Hex HMAC-SHA256 over the canonical encoding of every other field."""


def derive_key(master: bytes, context: bytes, node_id: str) -> bytes:
    """A per-node key for one purpose (`context`): HMAC-SHA256 of the node id under the master key."""
    if len(master) < 16:
        raise ValueError("the consent master key must be at least 16 bytes")
    return hmac.new(master, context + node_id.encode(), hashlib.sha256).digest()


def derive_node_key(master: bytes, node_id: str) -> bytes:
    """The key central signs `node_id`'s copies with, and the only key that node needs."""
    return derive_key(master, _KEY_CONTEXT, node_id)


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _mac(key: bytes, payload: dict[str, Any]) -> str:
    return hmac.new(key, _canonical(payload), hashlib.sha256).hexdigest()


def sign_copy(key: bytes, node_id: str, copy_version: int, consent: Consent | None, issued_at: datetime) -> str:
    """The signed copy, encoded as JSON text ready for any transport."""
    payload: dict[str, Any] = {
        "node_id": node_id,
        "copy_version": copy_version,
        "issued_at": issued_at.isoformat(),
        "consent": consent.model_dump(mode="json") if consent is not None else None,
    }
    return json.dumps({**payload, "signature": _mac(key, payload)}, ensure_ascii=False)


def verify_copy(raw: str | bytes, key: bytes, node_id: str, newest_accepted: int) -> SignedConsentCopy:
    """Check signature, addressee and version; raise `ConsentCopyRejected` naming what was wrong."""
    try:
        payload = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConsentCopyRejected("malformed", f"consent copy is not JSON: {exc}") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("signature"), str):
        raise ConsentCopyRejected("malformed", "consent copy has no signature")
    signature = payload.pop("signature")
    try:
        expected = _mac(key, payload).encode()
        given = signature.encode()
    except UnicodeEncodeError as exc:  # e.g. a lone surrogate smuggled in through a JSON escape
        raise ConsentCopyRejected("malformed", f"consent copy is not valid text: {exc}") from exc
    if not hmac.compare_digest(expected, given):
        raise ConsentCopyRejected("bad_signature", f"consent copy for {payload.get('node_id')!r}: signature is wrong")
    try:
        copy = SignedConsentCopy.model_validate({**payload, "signature": signature})
    except ValidationError as exc:
        raise ConsentCopyRejected("malformed", f"signed consent copy does not validate: {exc}") from exc
    if copy.node_id != node_id:
        raise ConsentCopyRejected("wrong_node", f"consent copy is for node {copy.node_id!r}, not {node_id!r}")
    if copy.copy_version < newest_accepted:
        raise ConsentCopyRejected(
            "stale", f"consent copy version {copy.copy_version} is older than accepted version {newest_accepted}"
        )
    return copy


def node_key(settings: Settings) -> bytes | None:
    """This node's key: its own setting, else derived from the master key when it is available here."""
    if settings.node.consent_key is not None:
        try:
            return bytes.fromhex(settings.node.consent_key.get_secret_value())
        except ValueError as exc:
            raise ValueError("NATTVAKT_NODE__CONSENT_KEY must be the hex key from `nattvakt consent node-key`") from exc
    master = master_key(settings, create=False)
    return derive_node_key(master, settings.node.node_id) if master is not None else None
