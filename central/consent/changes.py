"""Applying a consent change for a request: its errors as problem details, then the new version to the nodes."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException, status
from pydantic import ValidationError
from sqlalchemy.orm import Session

from central.consent import service
from central.consent.copies import ConsentCopies
from central.consent.schemas import ConsentChange
from central.dependencies import found
from privacy.consent_model import Consent


def apply_change(db: Session, copies: ConsentCopies, recipient_id: int, change: Callable[[], Consent]) -> ConsentChange:
    """Run a consent change, map its errors to problem details, and push the new version to the nodes."""
    found(db, recipient_id)
    try:
        consent = change()
    except service.ConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "consent"
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{where}: {first['msg']}") from exc
    return ConsentChange(consent=consent, nodes_not_reached=copies.publish_for_recipient(db, recipient_id))
