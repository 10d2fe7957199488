"""Stream entries as a node sends them: signed with the node's event key, derived from the test's master key."""

from __future__ import annotations

from typing import Any

from nattvakt.consent_transport import master_key
from nattvakt.events import Event
from nattvakt.settings import Settings
from privacy.event_signing import SIGNATURE_FIELD, SIGNER_FIELD, derive_event_key, entry_signature, signer_for


def node_fields(settings: Settings, event: Event) -> Any:
    """`event`'s signed entry (typed loosely: redis-py's xadd wants its own field mapping type)."""
    master = master_key(settings, create=True)
    assert master is not None
    return signer_for(master, event.node).fields(event)


def signed_raw(settings: Settings, node: str, fields: dict[str, str]) -> Any:
    """Any entry (malformed ones too) signed by `node`: central's decoder, not its signature check, judges it."""
    master = master_key(settings, create=True)
    assert master is not None
    signature = entry_signature(derive_event_key(master, node), node, fields.get("v", ""), fields.get("event", ""))
    return {**fields, SIGNER_FIELD: node, SIGNATURE_FIELD: signature}
