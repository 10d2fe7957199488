"""Errors of the shared ground floor (`nattvakt`).

NattvaktError
├── SettingsError (nattvakt.settings, also a ValueError): a setting has a value that is not allowed.
├── EventRejected (nattvakt.events, also a ValueError): a stream entry that cannot become an `Event`.
├── RedisServerError (nattvakt.redis_server, also a RuntimeError): no Redis binary, or it did not come up.
└── PortTakenError (nattvakt.netcheck, also an OSError): a port we must listen on is in use.

Each also derives from the built-in error it has always been, so existing `except ValueError:` keeps working.
"""

from __future__ import annotations


class NattvaktError(Exception):
    """Root of every error the `nattvakt` package raises on purpose."""
