"""Alembic environment: runs on the connection `central.migrate` hands over, never on a URL of its own."""

from __future__ import annotations

from alembic import context

from central.db import Base
from central.migrate import load_models

load_models()

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
