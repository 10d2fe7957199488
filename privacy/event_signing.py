"""Signatures on event-stream entries: each node signs its revisions with its own key, central checks them.

Anyone who can write to Redis (every node must) could otherwise end another room's open alarm or inject a fake
one. A node's event key is derived from central's master key like its consent-copy key (`derive_key`), with its own
context string, so neither key reveals the other and a node cannot sign for another node. Central signs the events
it raises itself (`node_offline`, verification alarms) as `CENTRAL_SIGNER`, which no node id can spell (`@`).

The signature covers the signer, the schema version and the event's JSON text exactly as sent, so it is made at
send time from what the spool holds and checked before the text is parsed.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from nattvakt.consent_transport import master_key
from nattvakt.events import Event, stream_fields
from nattvakt.settings import Settings
from privacy.consent_signing import derive_key

_KEY_CONTEXT = b"nattvakt event signing v1|"
CENTRAL_SIGNER = "@central"
"""Signer of central's own events; not a valid node id, so no node's key is central's."""
SIGNER_FIELD, SIGNATURE_FIELD = "by", "sig"


def derive_event_key(master: bytes, signer: str) -> bytes:
    """The key `signer` (a node id, or `CENTRAL_SIGNER`) signs its event revisions with."""
    return derive_key(master, _KEY_CONTEXT, signer)


def _mac(key: bytes, signer: str, version: str, body: str) -> bytes:
    return hmac.digest(key, f"{signer}|{version}|".encode() + body.encode(), "sha256")  # one-shot: half the cost


def entry_signature(key: bytes, signer: str, version: str, body: str) -> str:
    """Hex HMAC-SHA256 over signer, schema version and the event's JSON text."""
    return _mac(key, signer, version, body).hex()


class EventSigner:
    """Adds `by` and `sig` to a stream entry (`nattvakt.bus.EntrySigner`)."""

    def __init__(self, key: bytes, signer: str) -> None:
        self._key, self.signer = key, signer

    def __call__(self, version: int, body: str) -> dict[str, str]:
        return {SIGNER_FIELD: self.signer, SIGNATURE_FIELD: entry_signature(self._key, self.signer, str(version), body)}

    def fields(self, event: Event) -> dict[str, str]:
        """The whole signed stream entry of `event`, for a plain XADD."""
        body = event.model_dump_json()
        return stream_fields(event.schema_version, body) | self(event.schema_version, body)


def signature_problem(key: bytes, fields: Mapping[str, str]) -> str | None:
    """Why the entry's signature does not hold under `key` (None when it does)."""
    signer = fields.get(SIGNER_FIELD, "")
    try:
        given = bytes.fromhex(fields.get(SIGNATURE_FIELD, ""))
        expected = _mac(key, signer, fields.get("v", ""), fields.get("event", ""))
    except (ValueError, UnicodeEncodeError):  # not hex; a lone surrogate in the text
        given, expected = b"", b"x"
    if hmac.compare_digest(expected, given):
        return None
    return f"signature of {signer!r:.80} does not match the entry"


def signer_for(master: bytes, node_id: str) -> EventSigner:
    """`node_id`'s signer where the master key is at hand (central's tools, the demo, tests)."""
    return EventSigner(derive_event_key(master, node_id), node_id)


def node_event_signer(settings: Settings) -> EventSigner | None:
    """This node's signer: its own key setting, else derived from the master key when it is on this machine."""
    node_id = settings.node.node_id
    if settings.node.event_key is not None:
        try:
            return EventSigner(bytes.fromhex(settings.node.event_key.get_secret_value()), node_id)
        except ValueError as exc:
            raise ValueError("NATTVAKT_NODE__EVENT_KEY must be the hex key from `nattvakt consent node-key`") from exc
    master = master_key(settings, create=False)
    return signer_for(master, node_id) if master is not None else None
