"""Browsers that asked for alarms by web push: the push service's address and the browser's keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from central.db import Base


class PushSubscription(Base):
    """One browser's push subscription (`PushSubscription.toJSON()` in the browser), and who made it."""

    __tablename__ = "push_subscription"

    endpoint: Mapped[str] = mapped_column(String(1000), primary_key=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    staff: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
