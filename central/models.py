"""Relational records of the console (SQLAlchemy 2 ORM)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Staff(Base):
    """A member of staff who can log in to the console."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginSession(Base):
    """A server-side login session; the cookie carries only a random token whose hash is stored."""

    __tablename__ = "login_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Recipient(Base):
    """A care recipient: the person whose consent governs the camera in their room."""

    __tablename__ = "recipient"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    room: Mapped[str] = mapped_column(String(64), default="")
    access_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    """SHA-256 of the personal link's random code; the code itself is shown once and never stored."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CameraNode(Base):
    """A camera node, the recipient whose room it watches, and the version of the consent copy last sent to it."""

    __tablename__ = "camera_node"

    node_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipient.id", ondelete="SET NULL"), index=True)
    copy_version: Mapped[int] = mapped_column(Integer, default=0)
    """Raised on every signed copy, so the node can reject a replayed older one."""
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"), default=None)
    """The room it watches (`central.night_models.Room`)."""
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True, default=None)
    """SHA-256 of the node's own secret token (node-to-central authentication); the token is shown once."""


class ConsentVersion(Base):
    """One immutable version of a recipient's consent (the pydantic `privacy.consent_model.Consent` as JSON)."""

    __tablename__ = "consent_version"
    __table_args__ = (UniqueConstraint("recipient_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """One record of the append-only, hash-chained audit trail (`privacy.audit`)."""

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    """Unique: two central instances appending at once cannot both take the same place in the chain."""
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    recipient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """Not a foreign key: the trail outlives what it refers to."""
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChain(Base):
    """The single row that holds the chain's head (newest record) and anchor (last pruned record)."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    head_seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    anchor_seq: Mapped[int] = mapped_column(Integer)
    anchor_hash: Mapped[str] = mapped_column(String(64))
