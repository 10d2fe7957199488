"""The night's work: login lockout, rooms, node tokens, zones, check-in schedules and documented outcomes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempt",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "room",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipient.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("recipient_id"),
    )
    with op.batch_alter_table("camera_node") as batch:
        batch.add_column(sa.Column("room_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch.create_foreign_key("fk_camera_node_room_id", "room", ["room_id"], ["id"], ondelete="SET NULL")
    op.create_index("ix_camera_node_token_hash", "camera_node", ["token_hash"], unique=True)
    op.create_table(
        "zone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("polygon", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["camera_node.node_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("node_id", "name"),
    )
    op.create_index("ix_zone_node_id", "zone", ["node_id"])
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
    op.create_table(
        "outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("slot_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("event_kind", sa.String(length=32), nullable=True),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("staff", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outcome_event_id", "outcome", ["event_id"])
    op.create_index("ix_outcome_night", "outcome", ["night"])
    op.create_index("ix_outcome_recipient_id", "outcome", ["recipient_id"])


def downgrade() -> None:
    for table in ("outcome", "schedule_entry", "zone"):
        op.drop_table(table)
    op.drop_index("ix_camera_node_token_hash", "camera_node")
    with op.batch_alter_table("camera_node") as batch:
        batch.drop_constraint("fk_camera_node_room_id", type_="foreignkey")
        batch.drop_column("token_hash")
        batch.drop_column("room_id")
    op.drop_table("room")
    op.drop_table("login_attempt")
