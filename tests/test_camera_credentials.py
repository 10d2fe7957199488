"""The camera's user and password never leave the node's settings: a real `nattvakt node` on a real RTSP camera
(the right password through an outage, then a wrong one), and everything it wrote is grepped: its log at DEBUG
(FFmpeg's and OpenCV's own lines included), the events and heartbeat it put in Redis, `/healthz`, `/readyz` and
`/metrics`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import redis

from benchmarks.rtsp_camera import RtspCamera
from nattvakt.consent_transport import master_key
from nattvakt.redis_server import free_port
from nattvakt.settings import NodeSettings, Settings, load_settings, redact_url
from tests.conftest import CAMERA_PASSWORD, CAMERA_USER
from tests.processes import nattvakt_env, running

pytestmark = pytest.mark.slow
WRONG_PASSWORD = "Fel-Lösen-5517"


def _secrets() -> list[str]:
    words = [CAMERA_USER, CAMERA_PASSWORD, WRONG_PASSWORD]
    return words + [quote(word, safe="") for word in words]


def _redis_dump(url: str) -> str:
    """Every key and value in the node's Redis (event stream, heartbeat hash, whatever else)."""
    client = redis.Redis.from_url(url, decode_responses=True)
    parts: list[str] = []
    keys: Any = client.keys("*")
    for key in keys:
        kind = client.type(key)
        if kind == "stream":
            rows: Any = client.xrange(key)
            parts += [repr(fields) for _id, fields in rows]
        elif kind == "hash":
            parts.append(repr(client.hgetall(key)))
        elif kind == "string":
            parts.append(repr(client.get(key)))
        parts.append(key)
    return "\n".join(parts)


def _wait_for(what: str, check: Callable[[], bool], log: Path, timeout: float = 25) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


def _outputs(health: str) -> str:
    return "\n".join(httpx.get(f"{health}/{path}", timeout=5).text for path in ("healthz", "readyz", "metrics"))


def test_no_credential_in_logs_events_health_or_metrics(
    settings: Settings, rtsp_camera: RtspCamera, tmp_path: Path
) -> None:
    port = free_port()
    health = f"http://127.0.0.1:{port}"
    log = tmp_path / "node.log"
    seen: list[str] = []
    base = nattvakt_env(
        redis_url=settings.redis_url_or_default(), data_dir=str(tmp_path), events_stream=settings.events_stream,
        log_level="DEBUG", node__node_id="cam-node", node__health_port=str(port), node__perception_enabled="false",
        node__camera_fault_after_s="1", node__source_read_timeout_s="1", node__source_open_timeout_s="2",
        node__source_retry_first_s="0.2", node__source_retry_max_s="1", node__source_refused_retry_max_s="1",
    )
    master_key(settings, create=True)  # in data_dir: the node derives its event key from it
    stream = redis.Redis.from_url(settings.redis_url_or_default(), decode_responses=True)

    def faults(state: str, cause: str = "") -> int:
        rows: Any = stream.xrange(settings.events_stream)
        events = [fields["event"] for _id, fields in rows]
        return sum(f'"state":"{state}"' in event and "camera_fault" in event and cause in event for event in events)

    with running(["node"], base | {"NATTVAKT_NODE__SOURCE": rtsp_camera.url()}, log, f"{health}/healthz"):
        _wait_for("frames", lambda: httpx.get(f"{health}/healthz").json()["processed"] > 5, log)
        # Opening the stream may outlast the 1 s fault time on a busy machine: count from here.
        opened, ended = faults("open"), faults("ended")
        rtsp_camera.stop()
        _wait_for("camera_fault", lambda: faults("open") > opened, log)
        seen.append(_outputs(health))
        rtsp_camera.start()
        _wait_for("camera back", lambda: faults("ended") > ended, log)
        seen.append(_outputs(health))

    wrong = rtsp_camera.url(password=WRONG_PASSWORD)
    with running(["node"], base | {"NATTVAKT_NODE__SOURCE": wrong}, log, f"{health}/healthz"):
        _wait_for("refusal fault", lambda: faults("open", '"cause":"unauthorized"') == 1, log)
        seen.append(_outputs(health))

    text = log.read_text()
    assert "refused the user name or password (RTSP 401)" in text and "rtsp://***@127.0.0.1" in text
    assert '"camera_problem"' in seen[-1] and "unauthorized" in _redis_dump(settings.redis_url_or_default())
    for where, output in [("log", text), ("redis", _redis_dump(settings.redis_url_or_default())),
                          ("health and metrics", "\n".join(seen))]:
        for secret in _secrets():
            assert secret not in output, f"{secret!r} in the node's {where}"


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("rtsp://admin:s3cr%40t@10.0.0.5:554/Streaming/Channels/102", "rtsp://***@10.0.0.5:554/Streaming/Channels/102"),
        ("rtsp://admin:p@ss@cam.local/stream2", "rtsp://***@cam.local/stream2"),
        ("http://cam.local/cgi-bin/mjpg?user=admin&pwd=s3cret&ch=1", "http://cam.local/cgi-bin/mjpg?user=***&pwd=***&ch=1"),
        ("rtsp://cam.local/live", "rtsp://cam.local/live"),
        ("synthetic", "synthetic"),
    ],
)
def test_redacted_forms(source: str, shown: str) -> None:
    assert redact_url(source) == shown
    assert "s3cr" not in repr(NodeSettings(source=source)) and "p@ss" not in repr(NodeSettings(source=source))


def test_a_bad_setting_beside_a_camera_url_does_not_print_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATTVAKT_NODE__SOURCE", "rtsp://admin:s3cret@cam/1")
    monkeypatch.setenv("NATTVAKT_NODE__SOURCE_RETRY_FIRST_S", "30")  # above the retry cap: a model-level error
    with pytest.raises(ValueError, match="source_retry_first_s") as error:
        load_settings()
    assert "s3cret" not in str(error.value)
