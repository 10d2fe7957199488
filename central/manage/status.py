"""A recipient's consent status as the manager's list shows it: a pure function of (consent, now)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from nattvakt.night import night_bounds, night_of
from privacy.consent_model import Consent

ConsentStatus = Literal["none", "valid", "expiring", "withdrawn", "paused_tonight", "expired", "not_yet_valid"]
CONSENT_STATUSES: tuple[ConsentStatus, ...] = (
    "none", "valid", "expiring", "withdrawn", "paused_tonight", "expired", "not_yet_valid")
EXPIRING_WITHIN = timedelta(days=30)
"""A consent ending sooner than this is flagged, so it is renewed before the camera must stop."""


def consent_status(consent: Consent | None, now: datetime) -> ConsentStatus:
    """Withdrawn and expired first (nothing is allowed), then a pause over any part of tonight, then expiry soon."""
    if consent is None:
        return "none"
    if consent.withdrawn_at is not None and consent.withdrawn_at <= now:
        return "withdrawn"
    if consent.valid_until is not None and consent.valid_until <= now:
        return "expired"
    if consent.valid_from > now:
        return "not_yet_valid"
    start, end = night_bounds(night_of(now, consent.zone), consent.zone)
    if any(p.start < end and p.end > max(start, now) for p in consent.pauses):
        return "paused_tonight"
    if consent.valid_until is not None and consent.valid_until - now < EXPIRING_WITHIN:
        return "expiring"
    return "valid"
