"""The node's half of a look-in, with real parts: footage → capture → pipeline → outgoing frames → aiortc → an aiortc
viewer that decodes them. The node decides on its own signed copy (real Redis), whoever sent the offer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from ulid import ULID

from benchmarks.face_leaks import faces_in
from camera_node.consent_sync import ConsentWatcher
from camera_node.lookin import LookinService
from camera_node.lookin_tap import OutgoingTap
from nattvakt.events import Event
from nattvakt.lookin_protocol import Answer, Offer, Refused, Started, Stopped
from nattvakt.types import PRIVACY_LEVELS, Action, PrivacyLevel
from privacy.consent_signing import derive_node_key, sign_copy
from privacy.faces import shared_face_detector
from privacy.frames import OutgoingFrame
from privacy.levels import outgoing_size
from tests.lookin_parts import MASTER, Viewer, camera, consent, face_clip, publish_copy

NODE = "node-look"


class NodeUnderTest:
    def __init__(self, service: LookinService, watcher: ConsentWatcher, tap: OutgoingTap, reports: list[object],
                 redis_url: str) -> None:
        self.service, self.watcher, self.tap, self.reports, self.redis_url = service, watcher, tap, reports, redis_url
        self.version = 0

    async def give_copy(self, **terms: object) -> None:
        self.version += 1
        key = derive_node_key(MASTER, NODE)
        raw = sign_copy(key, NODE, self.version, consent(self.version, **terms), datetime.now(UTC))  # type: ignore[arg-type]
        self.watcher.changed.clear()
        publish_copy(self.redis_url, NODE, raw, self.version)
        await asyncio.wait_for(self.watcher.changed.wait(), 3)

    def stopped(self) -> list[Stopped]:
        return [r for r in self.reports if isinstance(r, Stopped)]


@pytest.fixture
async def node(redis_url: str, tmp_path: Path) -> AsyncIterator[NodeUnderTest]:
    alarms: list[Event] = []
    watcher = ConsentWatcher(redis_url, NODE, "rum-7", derive_node_key(MASTER, NODE), tmp_path, alarms.append,
                             recheck_s=0.5)
    watcher.start()
    reports: list[object] = []
    with camera(NODE, str(face_clip())) as pipeline:
        tap = OutgoingTap()
        pipeline.outgoing = tap
        service = LookinService(NODE, watcher, tap, reports.append, max_viewers=1, ice_timeout_s=5.0)
        yield NodeUnderTest(service, watcher, tap, reports, redis_url)
        await asyncio.wait_for(service.stop(), 10)
    await watcher.stop()


def offer(sdp: str, *, action: Action = Action.EVENT_LOOKIN, reason: str = "on_floor", max_s: float = 30.0,
          lookin_id: str | None = None, level: PrivacyLevel = "pixelate") -> Offer:
    return Offer(lookin_id=lookin_id or str(ULID()), sdp=sdp, action=action, reason=reason,
                 event_id="01JEVENT00000000000000000A" if action == Action.EVENT_LOOKIN else None,
                 level=level, max_duration_s=max_s, staff="nils")


async def open_stream(node: NodeUnderTest, viewer: Viewer, **kw: object) -> tuple[Answer, float]:
    sent = time.monotonic()
    reply = await node.service.handle_offer(offer(await viewer.offer(audio=True), **kw))  # type: ignore[arg-type]
    assert isinstance(reply, Answer), reply
    await viewer.accept(reply.sdp)
    await asyncio.wait_for(viewer.first_frame.wait(), 10)
    return reply, viewer.arrivals[0] - sent


async def test_private_frames_arrive_within_a_second_and_show_no_face(node: NodeUnderTest) -> None:
    await node.give_copy(level="faces_hidden")
    sent_frames: list[OutgoingFrame] = []
    viewer = Viewer()
    try:
        reply, first_s = await open_stream(node, viewer)
        # Another subscriber at the answered level sees what the stream sends (the tap makes one frame per level).
        token = node.tap.subscribe(reply.level, sent_frames.append)
        await asyncio.sleep(2.0)
        node.tap.unsubscribe(token)
    finally:
        await viewer.close()
    assert reply.level == "pixelate", "the stronger of central's level and the node's own"
    assert first_s < 2.0, f"first frame after {first_s:.2f} s"  # ~0.3 s on an idle machine; see benchmarks.lookin
    assert "m=audio" in reply.sdp and "a=inactive" in reply.sdp.split("m=audio")[1], "no audio, ever"
    assert viewer.kinds == ["video"]
    assert len(viewer.arrivals) >= 10, f"only {len(viewer.arrivals)} frames in ~2 s at 10 fps"
    assert all(isinstance(f, OutgoingFrame) and f.level == "pixelate" for f in sent_frames) and sent_frames
    # Received frames equal the filter's output within codec tolerance, and no face detector finds a face in them.
    received = viewer.frames[-1].astype(np.int16)
    best = min(float(np.abs(received - f.pixels.astype(np.int16)).mean()) for f in sent_frames)
    assert best < 12.0, f"received frame differs from every outgoing frame by {best:.1f} grey levels on average"
    detector = shared_face_detector()
    assert sum(len(faces_in(detector, frame)) for frame in viewer.frames) == 0


async def test_each_level_is_sent_at_its_own_size(node: NodeUnderTest) -> None:
    """The viewer decodes frames of the size the level needs (`privacy.levels`), not the camera's: a mosaic level
    carries a few thousand pixels' worth, and the browser scales the picture up."""
    sizes: dict[str, tuple[int, int]] = {}
    for level in PRIVACY_LEVELS:
        await node.give_copy(level=level)
        viewer = Viewer()
        try:
            reply, _first = await open_stream(node, viewer, level=level)
            made: list[OutgoingFrame] = []
            token = node.tap.subscribe(level, made.append)
            for _ in range(200):
                if made and len(viewer.frames) >= 3:
                    break
                await asyncio.sleep(0.05)
            node.tap.unsubscribe(token)
            assert reply.level == level and made, level
            sizes[level] = viewer.frames[-1].shape[:2]
            assert sizes[level] == made[-1].shape == outgoing_size(level, made[-1].source_shape), level
        finally:
            await viewer.close()
        await asyncio.wait_for(node.service.stop(), 5)
    camera_pixels = made[-1].source_shape[0] * made[-1].source_shape[1]
    assert all(h * w <= camera_pixels / 4 for h, w in sizes.values()), sizes
    assert sizes["pixelate"][0] * sizes["pixelate"][1] < camera_pixels / 10, sizes


async def test_node_refuses_without_its_own_consent_even_when_asked_directly(node: NodeUnderTest) -> None:
    viewer = Viewer()
    try:
        sdp = await viewer.offer()
        refused = await node.service.handle_offer(offer(sdp))
        assert isinstance(refused, Refused) and refused.code == "no_valid_copy"
        # A forged copy (signed with another key) is refused by the watcher, so the node still refuses.
        forged = sign_copy(derive_node_key(b"not-the-master-key-at-all!!", NODE), NODE, 9,
                           consent(9, kinds=frozenset({"on_floor", "motion"})), datetime.now(UTC))
        assert not node.watcher.offer(forged, "test")
        assert (await node.service.handle_offer(offer(sdp))).code == "no_valid_copy"  # type: ignore[union-attr]
        await node.give_copy(kinds=frozenset({"bed_exit"}))
        not_consented = await node.service.handle_offer(offer(sdp))
        assert isinstance(not_consented, Refused) and not_consented.code == "event_kind_not_consented"
        outside = await node.service.handle_offer(offer(sdp, action=Action.SCHEDULED_LOOKIN, reason=""))
        assert isinstance(outside, Refused) and outside.code == "outside_window"
        await node.give_copy(paused=True)
        assert (await node.service.handle_offer(offer(sdp))).code == "paused"  # type: ignore[union-attr]
        await node.give_copy()
        bad = await node.service.handle_offer(offer("v=0\r\nthis is not sdp\r\n"))
        assert isinstance(bad, Refused) and bad.code == "bad_sdp"
        lookin_id = str(ULID())
        assert isinstance(await node.service.handle_offer(offer(sdp, lookin_id=lookin_id)), Answer)
        replay = await node.service.handle_offer(offer(sdp, lookin_id=lookin_id))
        assert isinstance(replay, Refused) and replay.code == "replayed"
        busy = await node.service.handle_offer(offer(sdp))
        assert isinstance(busy, Refused) and busy.code == "busy", "one viewer per room"
    finally:
        await viewer.close()
    assert not [r for r in node.reports if isinstance(r, Started)], "no refused look-in sent a frame"


async def test_stream_stops_at_the_maximum_duration(node: NodeUnderTest) -> None:
    await node.give_copy()
    viewer = Viewer()
    try:
        _reply, _first = await open_stream(node, viewer, max_s=2.0)
        await asyncio.wait_for(viewer.ended.wait(), 5)
    finally:
        await viewer.close()
    (stop,) = node.stopped()
    assert stop.why == "max_duration" and stop.started
    assert 1.0 < stop.duration_s <= 2.2
    assert not node.service.active and not node.tap.active, "no outgoing frame is made after the stop"


async def test_pause_stops_the_stream_within_a_second(node: NodeUnderTest) -> None:
    await node.give_copy()
    viewer = Viewer()
    try:
        await open_stream(node, viewer)
        await asyncio.sleep(0.5)
        paused_at = time.monotonic()
        await node.give_copy(paused=True)
        await asyncio.wait_for(viewer.ended.wait(), 3)
        took = time.monotonic() - paused_at
        last_frame = max(viewer.arrivals)
    finally:
        await viewer.close()
    (stop,) = node.stopped()
    assert stop.why == "paused"
    print(f"stream ended {took:.3f} s after the pause was published")
    # ~0.1-0.2 s here; the margin is for a loaded 2-core machine (the bound is 1 s).
    assert took < 1.5, f"stream ended {took:.2f} s after the pause was published"
    assert last_frame - paused_at < 1.5
