"""Push subscriptions in the store: each browser once (by its push endpoint), removed on logout or when gone."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from central.forwarding.models import PushSubscription


def subscribe(db: Session, endpoint: str, p256dh: str, auth: str, staff: str) -> PushSubscription:
    row = db.get(PushSubscription, endpoint)
    if row is None:
        row = PushSubscription(endpoint=endpoint, p256dh=p256dh, auth=auth, staff=staff, created_at=datetime.now(UTC))
        db.add(row)
    else:
        row.p256dh, row.auth, row.staff = p256dh, auth, staff
    db.commit()
    return row


def unsubscribe(db: Session, endpoint: str) -> bool:
    gone = db.execute(delete(PushSubscription).where(PushSubscription.endpoint == endpoint))
    db.commit()
    return bool(getattr(gone, "rowcount", 0))


def subscriptions(db: Session) -> list[PushSubscription]:
    rows = list(db.scalars(select(PushSubscription).order_by(PushSubscription.created_at)))
    db.expunge_all()
    return rows
