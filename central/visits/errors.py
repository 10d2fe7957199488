"""The escalation's errors (routers turn them into problem details; `central.errors` documents the hierarchy)."""

from __future__ import annotations

from central.errors import CentralError


class EscalationError(CentralError, ValueError):
    """A task or a chain that does not fit the request: an unknown unit, a task already closed, a mark out of turn."""


class TaskNotFoundError(CentralError, LookupError):
    """No call or visit with that id."""
