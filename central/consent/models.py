"""Relational records of care recipients and their consent versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from central.db import Base


class Recipient(Base):
    """A care recipient: the person whose consent governs the camera in their room."""

    __tablename__ = "recipient"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    room: Mapped[str] = mapped_column(String(64), default="")
    access_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    """SHA-256 of the personal link's random code; the code itself is shown once and never stored."""
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    """False once deactivated (moved out): kept for the record, off tonight's list."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConsentVersion(Base):
    """One immutable version of a recipient's consent (the pydantic `privacy.consent_model.Consent` as JSON)."""

    __tablename__ = "consent_version"
    __table_args__ = (UniqueConstraint("recipient_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
