"""How signed consent copies travel from central to nodes for now: a Redis hash per node plus a pub/sub nudge.

Signing and verification live in `privacy.consent_signing`; a later control channel (WebSocket) can replace this
transport without touching them. The write is a Lua script that stores a copy only when its version is newer than
the stored one, so two central instances publishing at once can never leave an older copy behind.

Keys: central signs with a master key (`NATTVAKT_CONSENT_KEY`, else a random key created in `data_dir`); each
node needs only its derived key (`NATTVAKT_NODE__CONSENT_KEY`), and on a single machine (the demo) it derives it
from the same master.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from nattvakt.settings import Settings

KEY_FILE_NAME = "consent-master.key"

STORE_IF_NEWER = """
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if tonumber(ARGV[1]) > current then
  redis.call('HSET', KEYS[1], 'version', ARGV[1], 'copy', ARGV[2])
  redis.call('PUBLISH', KEYS[2], ARGV[1])
  return 1
end
return 0
"""
"""KEYS: copy hash, channel; ARGV: version, signed copy. Returns 1 when stored."""


def copy_key(node_id: str) -> str:
    """Redis hash holding the node's current signed copy (`version`, `copy`)."""
    return f"nattvakt:consent:{node_id}"


def notify_channel(node_id: str) -> str:
    """Pub/sub channel on which central announces a new copy to the node."""
    return f"nattvakt:consent-changed:{node_id}"


def master_key(settings: Settings, *, create: bool) -> bytes | None:
    """Central's signing key: the setting, else the key file in `data_dir` (created when `create`)."""
    if settings.consent_key is not None:
        return settings.consent_key.get_secret_value().encode()
    path = Path(settings.data_dir) / KEY_FILE_NAME
    if path.exists():
        return path.read_bytes().strip()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    # Written whole under a private name, then linked into place: link never replaces a file, so an instance
    # starting at the same moment sees no key file or the whole one, never one created but not yet written.
    fd, draft = tempfile.mkstemp(prefix=f".{KEY_FILE_NAME}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        os.link(draft, path)
    except FileExistsError:  # another central instance made it first
        return path.read_bytes().strip()
    finally:
        os.unlink(draft)
    return key
