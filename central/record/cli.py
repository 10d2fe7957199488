"""`nattvakt record prune`."""

from __future__ import annotations

from central.db import open_store
from central.record import store
from nattvakt.settings import Settings


def run_record_command(settings: Settings) -> int:
    """Remove event revisions and acknowledgements older than the retention, leaving an audit record of it."""
    years = settings.central.record_retention_years
    engine, sessionmaker = open_store(settings.database_url)
    try:
        with sessionmaker() as db:
            removed = store.prune(db, years)
    finally:
        engine.dispose()
    print(f"removed {removed} event records older than {years:g} years")
    return 0
