"""Alarms forwarded away from the console, against a real local HTTP receiver: the signed webhook (tried again on
500, stopped by an acknowledgement) and web push (subscription, VAPID signature, payload encrypted for the browser,
a gone subscription removed), up to the push service's door."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import func, select

from central.db import open_store
from central.forwarding.message import Alarm, due_round, signature
from central.forwarding.models import PushSubscription
from nattvakt.events import Event, Severity
from nattvakt.settings import CentralSettings, ForwardingSettings, Settings
from tests.conftest import Api, serve
from tests.receiver import Receiver, receiver
from tests.visits_parts import publish, until

SECRET = "ett-hemligt-delat-nyckelord"


def test_rounds_follow_the_settings() -> None:
    assert [due_round(s, 120, 300, 3) for s in (0, 119.9, 120, 419, 420, 720, 10_000)] == [0, 0, 1, 1, 2, 3, 3]
    stamp, body = "1700000000", b'{"a":1}'
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature(SECRET, stamp, body) == f"sha256={expected}"


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


@pytest.fixture
async def api(settings: Settings, hook: Receiver) -> AsyncIterator[Api]:
    forwarding = ForwardingSettings(after_s=1, repeat_s=1, max_rounds=20, public_url="https://nattvakt.example",
                                    webhook_url=f"{hook.url}/alarm", webhook_secret=SECRET,
                                    webhook_backoff_s=0.05)
    fast = settings.model_copy(update={"central": CentralSettings(port=settings.central.port, forwarding=forwarding)})
    async with serve(fast) as running:
        yield running


def _fall(**fields: Any) -> Event:
    return Event(node="node-a", room="rum-7", recipient="Greta Andersson", kind="on_floor", severity=Severity.HIGH,
                 **fields)


async def test_webhook_is_signed_retried_on_500_and_stopped_by_an_acknowledgement(api: Api, hook: Receiver) -> None:
    hook.answers = [500, 500]
    event = _fall()
    await publish(api.settings, event)

    async def delivered() -> bool | None:
        return any(r.answered == 201 for r in hook.posts("/alarm")) or None

    await until(delivered, within_s=15)
    first = hook.posts("/alarm")[:3]
    assert [r.answered for r in first] == [500, 500, 201], "tried again after each 500"
    for r in first:
        expected = signature(SECRET, r.headers["x-nattvakt-timestamp"], r.body)
        assert hmac.compare_digest(r.headers["x-nattvakt-signature"], expected)
        assert abs(int(r.headers["x-nattvakt-timestamp"]) - time.time()) < 60
    sent = json.loads(first[0].body)
    assert sent == Alarm(event_id=event.id, kind="on_floor", severity="HIGH", room="rum-7",
                         started_at=event.started_at, round=1,
                         link=f"https://nattvakt.example/#event-{event.id}").model_dump(mode="json")
    assert b"Greta" not in first[0].body, "no names in a forwarded message"

    async def second_round() -> bool | None:
        return any(json.loads(r.body)["round"] == 2 for r in hook.posts("/alarm")) or None

    await until(second_round)
    assert (await api.night.post(f"/api/events/{event.id}/ack")).status_code == 200
    await asyncio.sleep(0.3)  # a try already on the wire may still land
    after_ack = len(hook.posts("/alarm"))
    await asyncio.sleep(2.5)
    assert len(hook.posts("/alarm")) == after_ack, "acknowledged: forwarding stopped"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def test_push_subscription_and_the_message_to_the_push_service(api: Api, hook: Receiver) -> None:
    browser_key = ec.generate_private_key(ec.SECP256R1())
    p256dh = _b64(browser_key.public_key().public_bytes(serialization.Encoding.X962,
                                                        serialization.PublicFormat.UncompressedPoint))
    auth = os.urandom(16)
    key = (await api.night.get("/api/push/key")).json()["public_key"]
    assert len(_unb64(key)) == 65 and (await api.anon.get("/api/push/key")).status_code == 401
    body = {"endpoint": f"{hook.url}/push/phone-1", "keys": {"p256dh": p256dh, "auth": _b64(auth)}}
    for bad in ({**body, "endpoint": "http://push.example/x"}, {**body, "keys": {"p256dh": "x", "auth": "y"}}):
        assert (await api.night.post("/api/push/subscriptions", json=bad)).status_code == 422
    assert (await api.anon.post("/api/push/subscriptions", json=body)).status_code == 401
    assert (await api.night.post("/api/push/subscriptions", json=body)).status_code == 201
    assert (await api.night.post("/api/push/subscriptions", json=body)).status_code == 201, "again: still one"

    hook.answers = []
    event = _fall()
    await publish(api.settings, event)

    async def pushed() -> list[Any] | None:
        return hook.posts("/push/phone-1") or None

    (message, *_) = await until(pushed, within_s=15)
    assert message.headers["content-encoding"] == "aes128gcm" and message.headers["ttl"] == "600"
    assert message.headers["urgency"] == "high"
    scheme, _, params = message.headers["authorization"].partition(" ")
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and fields["k"] == key
    head, claims, sig = fields["t"].split(".")
    raw = _unb64(sig)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(key))
    public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                  f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # signed with central's VAPID key
    said = json.loads(_unb64(claims))
    assert said["aud"] == hook.url and said["sub"] == "mailto:drift@example.invalid"
    plain = http_ece.decrypt(message.body, private_key=browser_key, auth_secret=auth, version="aes128gcm")
    alarm = json.loads(plain)
    assert (alarm["event_id"], alarm["kind"], alarm["room"], alarm["round"]) == (event.id, "on_floor", "rum-7", 1)
    assert "Greta" not in plain.decode()

    # the push service says the browser is gone: the subscription is removed
    hook.answers = [410] * 5
    engine, sessions = open_store(api.settings.database_url)

    def count() -> int:
        with sessions() as db:
            return int(db.scalar(select(func.count()).select_from(PushSubscription)) or 0)

    async def removed() -> bool | None:
        return count() == 0 or None

    await until(removed, within_s=15)
    engine.dispose()
    assert any(r.answered == 410 for r in hook.posts("/push/phone-1"))
