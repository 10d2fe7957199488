"""Relational records of the night's work: documented outcomes (the check-in schedule is the consent's windows)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from central.db import Base


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
    window_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    """The check-in's window as it was when documented: the record outlives a later change of consent."""
    window_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    event_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    event_kind: Mapped[str | None] = mapped_column(String(32), default=None)
    event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    """When the event began."""
    room: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    staff: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
