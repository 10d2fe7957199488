"""A node's Redis user (issue 19): the node's real publisher, heartbeat and consent read work under it, and a stolen
node credential can neither read, trim, delete nor overwrite the event stream, nor read another room's consent.
Runs against a private real redis-server (ACL selectors need Redis 7)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from redis.exceptions import NoPermissionError, ResponseError

from camera_node.heartbeat import HeartbeatSender
from camera_node.publisher import EventPublisher
from camera_node.spool import Spool
from nattvakt.bus import heartbeats_key
from nattvakt.consent_transport import copy_key
from nattvakt.events import Event, Origin, Severity
from nattvakt.redis_acl import new_password, node_acl_rule
from nattvakt.redis_server import RedisServer, find_redis_binary, start_redis
from privacy.event_signing import signer_for

STREAM = "nattvakt:events"
NODE = "rum-12"


def _major() -> int:
    out = subprocess.run([find_redis_binary(), "--version"], capture_output=True, text=True).stdout
    return int(out.split("v=", 1)[1].split(".", 1)[0])


pytestmark = pytest.mark.skipif(_major() < 7, reason="ACL selectors need redis-server 7 (install Debian's)")


@pytest.fixture
def acl_redis(tmp_path: Path) -> Iterator[tuple[RedisServer, str]]:
    """A private Redis with `NODE`'s user, and the URL the node would be given."""
    server = start_redis(tmp_path / "redis")
    password = new_password()
    admin = redis.Redis.from_url(server.url)
    rule = node_acl_rule(STREAM, NODE, password).split()[1:]  # an aclfile line is `user` + SETUSER's arguments
    admin.execute_command("ACL", "SETUSER", *rule)  # type: ignore[no-untyped-call]
    admin.hset(copy_key(NODE), mapping={"version": 1, "copy": "its own signed copy"})
    admin.hset(copy_key("rum-13"), mapping={"version": 1, "copy": "another room's copy"})
    admin.close()
    yield server, server.url.replace("redis://", f"redis://{NODE}:{password}@")
    server.stop()


async def test_the_node_publishes_and_beats_under_its_own_user(
    acl_redis: tuple[RedisServer, str], tmp_path: Path
) -> None:
    server, node_url = acl_redis
    origin = Origin(NODE, "Rum 12")
    publisher = EventPublisher(node_url, STREAM, Spool(tmp_path / "spool.sqlite3", 100), origin, max_backoff_s=0.2,
                               sign=signer_for(b"m" * 32, NODE))
    heartbeat = HeartbeatSender(node_url, STREAM, origin, 0.2)
    publisher.start()
    heartbeat.start()
    fall = Event(node=NODE, room="Rum 12", kind="on_floor", severity=Severity.HIGH)
    publisher.submit(fall)
    admin = aioredis.from_url(server.url, decode_responses=True)
    try:
        for _ in range(100):
            if await admin.xlen(STREAM) and await admin.zscore(heartbeats_key(STREAM), NODE):
                break
            await asyncio.sleep(0.05)
        rows: Any = await admin.xrange(STREAM)
        assert [fields["by"] for _id, fields in rows] == [NODE] and fall.id in rows[0][1]["event"]
        assert publisher.published == 1
        node = aioredis.from_url(node_url, decode_responses=True)
        assert await node.hget(copy_key(NODE), "copy") == "its own signed copy"
        await node.aclose()
    finally:
        await publisher.stop()
        await heartbeat.stop()
        await admin.aclose()


def test_a_stolen_node_credential_cannot_read_trim_or_wipe_the_stream(acl_redis: tuple[RedisServer, str]) -> None:
    server, node_url = acl_redis
    admin = redis.Redis.from_url(server.url, decode_responses=True)
    admin.xadd(STREAM, {"v": "1", "event": "{}"})
    admin.xgroup_create(STREAM, "console", id="0")
    node = redis.Redis.from_url(node_url, decode_responses=True)
    attacks: dict[str, Callable[[], object]] = {
        "read": lambda: node.xrange(STREAM),
        "read new": lambda: node.xread({STREAM: "0"}),
        "read as central": lambda: node.xreadgroup("console", "thief", {STREAM: ">"}),
        "trim": lambda: node.xtrim(STREAM, maxlen=0),
        "delete": lambda: node.delete(STREAM),
        "replace": lambda: node.set(STREAM, "gone"),
        "rename": lambda: node.rename(STREAM, "x"),
        "list keys": lambda: node.keys("*"),
        "another room's consent": lambda: node.hget(copy_key("rum-13"), "copy"),
        "read through a script": lambda: node.eval("return redis.call('XRANGE', KEYS[1], '-', '+')", 1, STREAM),
        "delete through a script": lambda: node.eval("return redis.call('DEL', KEYS[1])", 1, STREAM),
        "flush": lambda: node.flushall(),
        "reconfigure": lambda: node.config_set("appendonly", "no"),
    }
    allowed = []
    for name, attack in attacks.items():
        try:
            attack()
        except NoPermissionError:
            continue
        except ResponseError as exc:  # a refusal inside a script comes back as a script error
            if "can't run this command" in str(exc):
                continue
            raise
        allowed.append(name)
    assert allowed == []
    assert admin.xlen(STREAM) == 1 and admin.type(STREAM) == "stream"
    node.close()
    admin.close()
