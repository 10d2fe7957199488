"""Nattvakt: digital night supervision. Shared pieces: settings, the event schema, the command line."""

from __future__ import annotations

__version__ = "0.1.0"
