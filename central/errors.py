"""Errors of central's services (routers turn them into problem details).

CentralError
├── NotFoundError (central.consent.service, also a LookupError): a recipient, node or consent does not exist.
├── ConflictError (central.consent.service, also a ValueError): a change does not fit the current state.
├── ScheduleError (central.night.service, also a ValueError): a check-in time consent does not cover.
├── AuditStoreError (central.audit.store, also a RuntimeError): the audit trail could not be appended to.
├── EscalationError (central.visits.errors, also a ValueError): a call or visit that does not fit the request.
├── TaskNotFoundError (central.visits.errors, also a LookupError): no call or visit with that id.
└── NodeUnavailableError (central.lookins.hub, also a RuntimeError): a node is not connected or did not answer.
"""

from __future__ import annotations


class CentralError(Exception):
    """Root of every error central raises on purpose."""
