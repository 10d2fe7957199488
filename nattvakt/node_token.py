"""Per-node control-channel tokens: HMAC-SHA256 of the node id under central's master key.

Central verifies a node's token by deriving it again, so it stores nothing; a node holds only its own token, so it
cannot speak for another node. The context string differs from the consent-copy key's, so the token (sent over the
wire) never reveals the key that signs the node's consent copies. Revoking one token means changing the master key
(every node then needs a new token): a stored, revocable token per node is the planned replacement.
"""

from __future__ import annotations

import hashlib
import hmac
import sys

from nattvakt.consent_transport import master_key
from nattvakt.settings import Settings, load_settings

_CONTEXT = b"nattvakt node token v1|"


def derive_node_token(master: bytes, node_id: str) -> str:
    """The token `node_id` presents on its control channel (hex)."""
    if len(master) < 16:
        raise ValueError("the master key must be at least 16 bytes")
    return hmac.new(master, _CONTEXT + node_id.encode(), hashlib.sha256).hexdigest()


def token_matches(master: bytes, node_id: str, presented: str) -> bool:
    """Constant-time check of a presented token."""
    try:
        given = presented.encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(derive_node_token(master, node_id).encode(), given)


def node_token(settings: Settings) -> str | None:
    """This node's token: its own setting, else derived from the master key when it is on this machine."""
    if settings.node.token is not None:
        return settings.node.token.get_secret_value()
    master = master_key(settings, create=False)
    return derive_node_token(master, settings.node.node_id) if master is not None else None


def main(argv: list[str]) -> int:
    """Print the token to give node `argv[0]` (`NATTVAKT_NODE__TOKEN`), from central's master key."""
    if len(argv) != 1:
        print("usage: python -m nattvakt.node_token NODE_ID", file=sys.stderr)
        return 2
    master = master_key(load_settings(), create=True)
    assert master is not None
    print(derive_node_token(master, argv[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
