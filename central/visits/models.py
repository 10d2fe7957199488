"""Relational records of the escalation: units' chains, recipients' contact, call tasks and visit tasks.

Calls and visits are documentation (who, when, what): never deleted by the night's work, and they name the
recipient by id without a foreign key, so the record outlives what it refers to.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from central.db import Base


class EscalationUnit(Base):
    """A care unit's escalation chain (`central.visits.policy.EscalationPolicy` as JSON)."""

    __tablename__ = "escalation_unit"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    policy: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RecipientContact(Base):
    """How staff reach a recipient at night: the phone number to call, and the care unit whose chain applies."""

    __tablename__ = "recipient_contact"

    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id", ondelete="CASCADE"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    unit: Mapped[str | None] = mapped_column(String(64), default=None)
    """None: the default chain."""


class CallTask(Base):
    """"Ring brukaren": made by the chain, closed by its outcome."""

    __tablename__ = "call_task"
    __table_args__ = (UniqueConstraint("recipient_id", "chain_at", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(Integer, index=True)
    night: Mapped[date] = mapped_column(Date, index=True)
    room: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    """The number as it was when the task was made."""
    chain_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """The check-in whose person was not visible: the chain's identity."""
    step: Mapped[str] = mapped_column(String(32))
    policy: Mapped[str] = mapped_column(Text)
    """The chain it runs under (JSON), so a unit's later change does not reroute a chain already running."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    staff: Mapped[str | None] = mapped_column(String(64), default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class VisitTask(Base):
    """A visit by the night patrol, its cause, its promise and how it went (på väg, framme, klar)."""

    __tablename__ = "visit_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    night: Mapped[date] = mapped_column(Date, index=True)
    room: Mapped[str] = mapped_column(String(64), default="")
    cause: Mapped[str] = mapped_column(String(32))
    cause_ref: Mapped[str] = mapped_column(String(80), unique=True)
    """What made it (`event:<id>`, `call:<id>`, `outcome:<id>`): one cause makes one visit, on any instance."""
    cause_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    promise_min: Mapped[float] = mapped_column(Float)
    promise_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16), default="open")
    on_way_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    on_way_by: Mapped[str | None] = mapped_column(String(64), default=None)
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    arrived_by: Mapped[str | None] = mapped_column(String(64), default=None)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    done_by: Mapped[str | None] = mapped_column(String(64), default=None)
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    overdue_event: Mapped[str | None] = mapped_column(Text, default=None)
    """The HIGH `visit_overdue` event raised for it (JSON), kept to end it when the patrol arrives."""
