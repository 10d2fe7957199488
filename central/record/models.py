"""Event revisions and acknowledgements as documentation: who, when, what, kept for years (the stream is trimmed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from central.db import Base


class EventRevision(Base):
    """One revision `(id, seq)` of an event, written once however often it is read from the stream."""

    __tablename__ = "event_revision"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    node: Mapped[str] = mapped_column(String(64))
    room: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    body: Mapped[str] = mapped_column(Text)
    """The revision as it travelled (JSON)."""
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EventAck(Base):
    """Who acknowledged an event, and when central learnt of it (the first acknowledgement wins everywhere)."""

    __tablename__ = "event_ack"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
