"""Errors of central's services (routers turn them into problem details).

CentralError
├── NotFoundError (central.consent.service, also a LookupError): a recipient, node or consent does not exist.
├── ConflictError (central.consent.service, also a ValueError): a change does not fit the current state.
├── ScheduleError (central.night.service, also a ValueError): a check-in time consent does not cover.
├── AuditStoreError (central.audit.store, also a RuntimeError): the audit trail could not be appended to.
├── NodeUnavailableError (central.lookins.records, also a RuntimeError): a node is not connected or did not answer.
└── NodeBusyError (central.lookins.records, also a RuntimeError): a node already shows all the look-ins it allows.
"""

from __future__ import annotations


class CentralError(Exception):
    """Root of every error central raises on purpose."""
