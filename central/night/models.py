"""Relational records of the night's work: check-in schedules and documented outcomes."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from central.db import Base


class ScheduleEntry(Base):
    """One planned nightly check-in time of a recipient; it must lie inside one of their consented windows."""

    __tablename__ = "schedule_entry"
    __table_args__ = (UniqueConstraint("recipient_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id", ondelete="CASCADE"), index=True)
    at: Mapped[time] = mapped_column(Time)
    """Local wall-clock time in the consent's time zone."""
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Outcome(Base):
    """What staff found at a check-in or an event. Never edited: a later outcome for the same slot supersedes it."""

    __tablename__ = "outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """Not a foreign key: the handover record outlives what it refers to."""
    night: Mapped[date] = mapped_column(Date, index=True)
    """Local date on which the night began."""
    slot_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    """The scheduled moment of the check-in (or of the re-look) it documents; null for an event."""
    event_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    event_kind: Mapped[str | None] = mapped_column(String(32), default=None)
    event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    """When the event began."""
    room: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    staff: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
