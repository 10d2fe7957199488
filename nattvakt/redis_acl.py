"""The Redis user a camera node gets: it may add events and beat, and read its own consent copy, nothing else.

A stolen node credential must not let anyone read the event stream (who fell, when), delete it, or read other
rooms' consent. Redis ACLs restrict commands and keys, not arguments: a node that may XADD could still pass MAXLEN
to trim; central parks pending entries that vanish this way (`trimmed` in the dead letters), so it is seen.
The shared heartbeat set and node hash are writable by every node (one member per node; Redis cannot restrict
members). Scripts run under the caller's ACL, so EVALSHA grants nothing beyond the commands listed.
"""

from __future__ import annotations

import secrets

from nattvakt.bus import heartbeats_key, nodes_key, sent_marker_key
from nattvakt.consent_transport import copy_key, notify_channel

CONNECTION_COMMANDS = ("+ping", "+auth", "+hello", "+client|setname", "+info", "+time",
                       "+evalsha", "+eval", "+script|load", "+script|exists")
"""Connecting and running scripts (the idempotent XADD and the heartbeat are scripts; each command in a script is
checked against the user's rules like any other)."""


def node_acl_rule(stream: str, node_id: str, password: str) -> str:
    """One line of a Redis >= 7 ACL file (`aclfile`) for `node_id` (the user name is the node id).

    Each key gets only the command it needs (ACL selectors): XADD on the stream, SET on the sent markers, ZADD on the
    heartbeat set, HSET on the node hash, HGET (read only) on its own consent copy, SUBSCRIBE to its own channel.
    A SET on the stream's name would replace the stream: that is why commands are tied to keys. The first set of
    keys, with no data command, only lets a script declare them.
    """
    marker_prefix = sent_marker_key(stream, "", 0).removesuffix(":0").removesuffix(":")
    keys = (f"~{stream}", f"~{marker_prefix}:*", f"~{heartbeats_key(stream)}", f"~{nodes_key(stream)}",
            f"%R~{copy_key(node_id)}")
    rules = ["user", node_id, "on", "resetpass", f">{password}", "resetkeys", "resetchannels", "-@all",
             *CONNECTION_COMMANDS, *keys,  # a script names its keys: EVALSHA is checked against them
             f"&{notify_channel(node_id)}", "+subscribe", "+unsubscribe",
             f"(~{stream} +xadd)", f"(~{marker_prefix}:* +set)", f"(~{heartbeats_key(stream)} +zadd)",
             f"(~{nodes_key(stream)} +hset)", f"(%R~{copy_key(node_id)} +hget)"]
    return " ".join(rules)


def new_password() -> str:
    return secrets.token_urlsafe(24)
