"""Relational records of the night's work: rooms, zones, check-in schedules, documented outcomes, login lockout.

Kept apart from `central.models` (staff, consent, audit) but on the same `Base`, so one Alembic history covers both.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from central.models import Base


class LoginAttempt(Base):
    """Failed logins in a row for one username (existing or not, so a lockout tells nothing about who exists)."""

    __tablename__ = "login_attempt"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Room(Base):
    """A room of the home; at most one care recipient lives in it."""

    __tablename__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("recipient.id", ondelete="SET NULL"), unique=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Zone(Base):
    """A named area of one camera's view (bed, floor, door) as a polygon of view fractions (JSON)."""

    __tablename__ = "zone"
    __table_args__ = (UniqueConstraint("node_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[str] = mapped_column(ForeignKey("camera_node.node_id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    polygon: Mapped[str] = mapped_column(Text)


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
