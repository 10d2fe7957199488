"""`nattvakt audit verify` and `nattvakt audit prune`."""

from __future__ import annotations

import sys

from central.audit import store as audit_store
from central.db import open_store
from nattvakt.settings import Settings

EXIT_BROKEN = 1


def run_audit_command(settings: Settings, command: str) -> int:
    """Verify (exit 1 naming the first bad record) or prune the audit trail."""
    engine, sessionmaker = open_store(settings.database_url)
    try:
        with sessionmaker() as db:
            if command == "prune":
                removed = audit_store.prune(db, settings.central.audit_retention_years)
                print(f"removed {removed} audit records older than {settings.central.audit_retention_years:g} years")
                return 0
            result = audit_store.verify(db)
    finally:
        engine.dispose()
    if result.ok:
        print(f"audit trail OK: {result.checked} records verified")
        return 0
    print(f"audit trail BROKEN at record {result.first_bad_seq}: {result.problem} "
          f"({result.checked} records verified before it)", file=sys.stderr)
    return EXIT_BROKEN
