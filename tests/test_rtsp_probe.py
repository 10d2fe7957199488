"""Asking a real RTSP camera why it refused: Basic and Digest authentication, a wrong path, nothing listening."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from benchmarks.rtsp_camera import RtspCamera
from camera_node.rtsp_probe import probe
from nattvakt.redis_server import free_port


@pytest.mark.parametrize("digest", [False, True], ids=["basic", "digest"])
def test_the_camera_says_why(rtsp_cameras: Callable[..., RtspCamera], digest: bool) -> None:
    camera = rtsp_cameras(digest=digest)
    assert probe(camera.url(), 3.0) is None
    refused = probe(camera.url(password="fel"), 3.0)
    assert refused is not None and refused.cause == "unauthorized"
    anonymous = probe(camera.url().replace(f"{camera.user}:{camera.password}@", ""), 3.0)
    assert anonymous is not None and anonymous.cause == "unauthorized"
    missing = probe(camera.url(path="/Streaming/Channels/102"), 3.0)
    assert missing is not None and missing.cause == "not_found"
    assert "'/Streaming/Channels/102'" in missing.message
    assert all(camera.password not in r.message for r in (refused, anonymous, missing) if r and camera.password)


def test_nothing_listening_is_unreachable() -> None:
    refused = probe(f"rtsp://a:b@127.0.0.1:{free_port()}/cam", 1.0)
    assert refused is not None and refused.cause == "unreachable" and "connection refused" in refused.message
