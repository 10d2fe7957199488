"""Escalation and visits, push subscriptions, and the record of event revisions and acknowledgements.

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
    op.create_table(
        "escalation_unit",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "recipient_contact",
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipient.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("recipient_id"),
    )
    op.create_table(
        "call_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("chain_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("staff", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recipient_id", "chain_at", "step"),
    )
    op.create_index("ix_call_task_recipient_id", "call_task", ["recipient_id"])
    op.create_index("ix_call_task_night", "call_task", ["night"])
    op.create_table(
        "visit_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("cause", sa.String(length=32), nullable=False),
        sa.Column("cause_ref", sa.String(length=80), nullable=False),
        sa.Column("cause_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("promise_min", sa.Float(), nullable=False),
        sa.Column("promise_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("on_way_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("on_way_by", sa.String(length=64), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrived_by", sa.String(length=64), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("overdue_event", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cause_ref"),
    )
    op.create_index("ix_visit_task_recipient_id", "visit_task", ["recipient_id"])
    op.create_index("ix_visit_task_night", "visit_task", ["night"])
    op.create_index("ix_visit_task_promise_at", "visit_task", ["promise_at"])
    op.create_table(
        "push_subscription",
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("staff", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("endpoint"),
    )
    op.create_table(
        "event_revision",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "seq"),
    )
    op.create_index("ix_event_revision_started_at", "event_revision", ["started_at"])
    op.create_table(
        "event_ack",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_event_ack_at", "event_ack", ["at"])


def downgrade() -> None:
    for table in ("event_ack", "event_revision", "push_subscription", "visit_task", "call_task", "recipient_contact",
                  "escalation_unit"):
        op.drop_table(table)
