"""Privacy: frame tiers, the filters that make them, and (later) consent and audit."""

from __future__ import annotations

from privacy.errors import PrivacyError
from privacy.filters import (
    PrivacyFilter,
    make_outgoing,
    make_private,
)
from privacy.frames import OutgoingFrame, PrivateFrame, RawFrame

__all__ = [
    "OutgoingFrame",
    "PrivacyError",
    "PrivacyFilter",
    "PrivateFrame",
    "RawFrame",
    "make_outgoing",
    "make_private",
]
