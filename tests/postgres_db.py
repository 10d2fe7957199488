"""A throw-away database on the local PostgreSQL (trust auth), for tests that must also pass on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

ADMIN_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"


@contextmanager
def throwaway_database() -> Iterator[str]:
    """Create a uniquely named database, yield its SQLAlchemy URL, drop it; skip when PostgreSQL is not reachable."""
    psycopg = pytest.importorskip("psycopg")
    name = f"nattvakt_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(ADMIN_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432: {exc}")
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
