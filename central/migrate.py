"""Bring the relational store's schema up to date with Alembic: on central's start, in the CLI, in tests.

A store made before migrations existed (by `create_all`) holds exactly the baseline schema: it is stamped as
the baseline and then upgraded like any other. On PostgreSQL a transaction-scoped advisory lock makes central
instances that start together migrate one after the other.
"""

from __future__ import annotations

import importlib
import threading
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001"
"""The schema of the consent release, before migrations."""
_LOCK_KEY = 0x6E617474  # "natt"
_IN_PROCESS = threading.Lock()
MODEL_MODULES = ("central.audit.models", "central.consent.models", "central.forwarding.models", "central.night.models",
                 "central.nodes.models", "central.record.models", "central.staff.models", "central.visits.models")
"""Every feature's tables, all on `central.db.Base`: imported before the schema is compared or used."""


def load_models() -> None:
    """Register every table on the shared metadata (foreign keys name tables of other features)."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the store to `revision` (default: the newest) in one transaction."""
    load_models()
    # Alembic's command API works through module-global proxies, so one migration at a time per process.
    with _IN_PROCESS, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        tables = set(inspect(connection).get_table_names())
        current = MigrationContext.configure(connection).get_current_revision() if "alembic_version" in tables else None
        if revision == "head" and current is not None and current == head_revision():
            return  # the usual case: nothing to do, and no need to run the migration machinery
        config = alembic_config(connection)
        if "staff" in tables and "alembic_version" not in tables:
            command.stamp(config, BASELINE)
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    with _IN_PROCESS, engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
