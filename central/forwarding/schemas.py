"""Bodies of the push subscription API (the browser's `PushSubscription.toJSON()`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class SubscriptionKeys(BaseModel):
    p256dh: str = Field(min_length=80, max_length=100, pattern=r"^[A-Za-z0-9_-]+=*$")
    auth: str = Field(min_length=16, max_length=32, pattern=r"^[A-Za-z0-9_-]+=*$")


class SubscriptionIn(BaseModel):
    endpoint: str = Field(min_length=10, max_length=1000)
    """The push service's address for this browser: https (plain http only on this machine)."""
    keys: SubscriptionKeys

    @field_validator("endpoint")
    @classmethod
    def _push_service(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value
        if parts.scheme == "http" and parts.hostname in LOOPBACK:
            return value
        raise ValueError(f"a push service is reached over https, not {value[:80]!r}")


class EndpointIn(BaseModel):
    endpoint: str = Field(min_length=10, max_length=1000)


class PushKey(BaseModel):
    public_key: str
    """Central's VAPID public key: the browser's `applicationServerKey`."""
