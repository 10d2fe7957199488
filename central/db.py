"""The relational store (SQLite by default, PostgreSQL when configured): the shared ORM base and opening it.

Every feature's `models.py` declares its tables on `Base`, so one Alembic history covers them all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from central.migrate import upgrade


class Base(DeclarativeBase):
    pass


def open_store(database_url: str) -> tuple[Engine, sessionmaker[Session]]:
    """Create the engine and the session factory, and migrate the schema to the newest revision."""
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(database_url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    upgrade(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def aware(moment: datetime) -> datetime:
    """Stored datetimes come back from SQLite without a zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
