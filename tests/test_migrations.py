"""Alembic migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, ForeignKey, Integer, MetaData, String, Table, create_engine, inspect

from central import migrate
from central.db import Base, open_store
from central.forwarding import models as _push_models  # noqa: F401  (registers the push subscriptions)
from central.night import models as _night_models  # noqa: F401  (registers the night tables)
from central.record import models as _record_models  # noqa: F401  (registers the event record)
from central.staff.service import upsert_staff
from central.visits import models as _visit_models  # noqa: F401  (registers the visit tables)
from tests.postgres_db import throwaway_database

NIGHT_TABLES = {"login_attempt", "room", "zone", "schedule_entry", "outcome"}
VISIT_TABLES = {"escalation_unit", "recipient_contact", "call_task", "visit_task", "push_subscription",
                "event_revision", "event_ack"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        with throwaway_database() as url:
            yield url


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine, _sessions = open_store(database_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_downgrade_to_baseline_and_back_keeps_data(database_url: str) -> None:
    engine, sessions = open_store(database_url)
    try:
        with sessions() as db:
            upsert_staff(db, "sara", "ett-långt-lösen", "nurse_admin")
        migrate.downgrade(engine, migrate.BASELINE)
        assert not (NIGHT_TABLES | VISIT_TABLES) & set(inspect(engine).get_table_names())
        assert "token_hash" not in {c["name"] for c in inspect(engine).get_columns("camera_node")}
        migrate.upgrade(engine)
        assert _differences(engine) == []
        with sessions() as db:
            from central.staff.service import authenticate

            assert authenticate(db, "sara", "ett-långt-lösen") is not None, "staff survived the round trip"
    finally:
        engine.dispose()


def test_store_made_before_migrations_is_stamped_and_upgraded(tmp_path: Path) -> None:
    """A SQLite store made by the consent release's `create_all` (the baseline tables only) is adopted, not lost."""
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    legacy = create_engine(url)
    old = MetaData()
    for name, table in Base.metadata.tables.items():
        if name not in NIGHT_TABLES | VISIT_TABLES | {"camera_node"}:
            table.to_metadata(old)
    Table(  # as the consent release had it: no room, no token
        "camera_node", old, Column("node_id", String(64), primary_key=True),
        Column("recipient_id", ForeignKey("recipient.id", ondelete="SET NULL"), index=True),
        Column("copy_version", Integer, nullable=False),
    )
    old.create_all(legacy)
    with legacy.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO staff (username, display_name, role, password_hash, created_at) "
            "VALUES ('old', 'Old', 'night_staff', 'x', '2026-01-01 00:00:00')"
        )
    legacy.dispose()
    engine, _sessions = open_store(url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert _differences(engine) == []
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT username FROM staff").scalars().all() == ["old"]
    finally:
        engine.dispose()
