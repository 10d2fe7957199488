"""Consent windows are the check-in schedule; documented check-ins keep their window; zones have a kind; recipients
and staff can be deactivated.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_schedule_entry_recipient_id", "schedule_entry")
    op.drop_table("schedule_entry")
    with op.batch_alter_table("outcome") as batch:
        batch.add_column(sa.Column("window_start", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("window_end", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("zone") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="floor"))
    with op.batch_alter_table("recipient") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("active")
    with op.batch_alter_table("recipient") as batch:
        batch.drop_column("active")
    with op.batch_alter_table("zone") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("outcome") as batch:
        batch.drop_column("window_end")
        batch.drop_column("window_start")
    op.create_table(
        "schedule_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Time(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipient.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recipient_id", "at"),
    )
    op.create_index("ix_schedule_entry_recipient_id", "schedule_entry", ["recipient_id"])
