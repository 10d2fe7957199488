"""Look-in benchmark: request-to-first-frame latency on loopback, and what a look-in costs the node at each level.

`python -m benchmarks.lookin` or `nattvakt bench lookin`. Starts a private redis-server, a real central
(`nattvakt central`, uvicorn) and a real node (`nattvakt node`, 640x480 at 10 fps from footage or the synthetic
scene, person detection off so the figure is the look-in's own cost). An aiortc peer plays the browser: for each
look-in it makes its receive-only offer, POSTs it to central with the reason (an open event), applies the node's
answer and waits for the first decoded frame; then it closes the look-in and waits for the node's stop record.
Latency runs from before the offer is made (the click) to the first decoded frame. The opens are back to back, so
the figures are also the start cost of consecutive look-ins.

Then, per privacy level (the consent is changed to it), the node's CPU is read from /proc over a window without a
look-in and right after over a window with one held open, in which the viewer counts the frames it decodes and their
size. Exits 1 when `[lookin.first_frame]` or `[lookin.stream]` in `benchmarks/budgets.toml` is broken: a level that
delivers under `min_fps_share` of the node's frame rate, or adds more than `max_added_cpu_share` of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import redis
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from benchmarks.budgets import BudgetError, load_budgets, load_limits
from benchmarks.children import child_env, consent_terms, cpu_seconds, spawn_part
from benchmarks.footage import gmdcsa24_dir
from benchmarks.results import BenchResult, Figure
from central.db import open_store
from central.staff.service import upsert_staff
from nattvakt.consent_transport import master_key
from nattvakt.events import Event, Severity
from nattvakt.redis_server import free_port, start_redis
from nattvakt.settings import Settings
from nattvakt.types import PRIVACY_LEVELS, PrivacyLevel
from privacy.event_signing import signer_for

NODE = "node-bench"
NODE_FPS = 10.0
PASSWORD = "bench-lösenord-123"
STREAM = "bench-lookin:events"
WARM_UP_S = 1.0
"""Streaming before the CPU window: the first keyframe and the viewer's jitter buffer settle."""


@dataclass(frozen=True, slots=True)
class LevelFigures:
    level: PrivacyLevel
    idle_cpu: float
    """Node CPU, % of one core, in the window before the look-in."""
    streaming_cpu: float
    fps: float
    """Frames the viewer decoded per second of the window."""
    node_fps: float
    """Frames the node's pipeline took per second of the same window (from its health endpoint)."""
    size: tuple[int, int]
    """Width and height of the decoded frames."""

    @property
    def added_cpu(self) -> float:
        return self.streaming_cpu - self.idle_cpu


async def _cpu_share(pid: int, seconds: float) -> float:
    """Node CPU over `seconds`, as a percentage of one core."""
    before, began = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)
    return 100 * (cpu_seconds(pid) - before) / (time.monotonic() - began)


class _Viewer:
    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.first = asyncio.Event()
        self.frames = 0
        self.size = (0, 0)
        self.pc.on("track", lambda track: asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if isinstance(frame, av.VideoFrame):
                    self.frames += 1
                    self.size = (frame.width, frame.height)
                    self.first.set()
        except MediaStreamError:
            pass

    async def offer(self) -> str:
        self.pc.addTransceiver("video", direction="recvonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)


async def _one_lookin(night: httpx.AsyncClient, event_id: str) -> tuple[float, str, _Viewer, str]:
    viewer = _Viewer()
    clicked = time.monotonic()
    response = await night.post("/api/lookins", json={"sdp": await viewer.offer(), "event_id": event_id})
    if response.status_code != 201:
        await viewer.pc.close()
        raise RuntimeError(f"look-in refused: {response.status_code} {response.text}")
    body = response.json()
    await viewer.pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="answer"))
    await asyncio.wait_for(viewer.first.wait(), 15)
    return time.monotonic() - clicked, body["lookin_id"], viewer, body["level"]


async def _close(night: httpx.AsyncClient, lookin_id: str, viewer: _Viewer) -> None:
    await night.post(f"/api/lookins/{lookin_id}/close")
    await viewer.pc.close()
    for _ in range(100):  # the node reports its stop; the next look-in would otherwise find the room busy
        again = await night.post(f"/api/lookins/{lookin_id}/close")
        if again.status_code == 404:
            return
        await asyncio.sleep(0.05)


async def _processed(health: str) -> int:
    async with httpx.AsyncClient(timeout=10) as client:
        return int((await client.get(f"{health}/healthz")).json()["processed"])


async def _stream_at(nurse: httpx.AsyncClient, night: httpx.AsyncClient, rid: int, event_id: str,
                     level: PrivacyLevel, node: tuple[int, str], window_s: float) -> LevelFigures:
    """Consent at `level`, the node's CPU without a look-in, then with one held open at that level."""
    (await nurse.post(f"/api/recipients/{rid}/consent", json=consent_terms(level))).raise_for_status()
    for _ in range(100):  # the node's signed copy follows the consent within a moment
        _latency, lookin_id, viewer, answered = await _one_lookin(night, event_id)
        await _close(night, lookin_id, viewer)
        if answered == level:
            break
        await asyncio.sleep(0.1)
    else:
        raise RuntimeError(f"the node kept answering at another level than {level}")
    node_pid, health = node
    idle = await _cpu_share(node_pid, window_s)
    _latency, lookin_id, viewer, _answered = await _one_lookin(night, event_id)
    await asyncio.sleep(WARM_UP_S)
    frames_before, processed_before, began = viewer.frames, await _processed(health), time.monotonic()
    streaming = await _cpu_share(node_pid, window_s)
    fps = (viewer.frames - frames_before) / (time.monotonic() - began)
    node_fps = (await _processed(health) - processed_before) / (time.monotonic() - began)
    await _close(night, lookin_id, viewer)
    return LevelFigures(level, idle, streaming, fps, node_fps, viewer.size)


async def _measure(base: str, redis_url: str, node: tuple[int, str], runs: int, cpu_window_s: float,
                   levels: tuple[PrivacyLevel, ...], data_dir: Path) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as nurse, \
            httpx.AsyncClient(base_url=base, timeout=30) as night:
        for client, user in ((nurse, "sara"), (night, "nils")):
            (await client.post("/api/login", json={"username": user, "password": PASSWORD})).raise_for_status()
        rid = (await nurse.post("/api/recipients", json={"name": "Bench", "room": "rum-b"})).json()["id"]
        (await nurse.post(f"/api/recipients/{rid}/consent", json=consent_terms())).raise_for_status()
        (await nurse.put(f"/api/nodes/{NODE}", json={"recipient_id": rid})).raise_for_status()
        event = Event(node=NODE, room="rum-b", kind="on_floor", severity=Severity.HIGH)
        bus = redis.Redis.from_url(redis_url)
        master = master_key(Settings(data_dir=data_dir, consent_key=None), create=False)  # central made it
        assert master is not None
        bus.xadd(STREAM, signer_for(master, NODE).fields(event))  # type: ignore[arg-type]  # signed as the node
        bus.close()
        for _ in range(200):  # central sees the event, and the node's channel is up (a refusal says which is not)
            try:
                latency, lookin_id, viewer, _level = await _one_lookin(night, event.id)
                break
            except RuntimeError:
                await asyncio.sleep(0.1)
        else:
            raise RuntimeError("no look-in could be opened within 20 s")
        await _close(night, lookin_id, viewer)  # warm-up: first use loads codecs
        latencies = []
        for _ in range(runs):
            latency, lookin_id, viewer, _level = await _one_lookin(night, event.id)
            latencies.append(latency)
            await _close(night, lookin_id, viewer)
        streams = [await _stream_at(nurse, night, rid, event.id, level, node, cpu_window_s) for level in levels]
    return {"latencies": latencies, "streams": streams}


def _stream_verdicts(streams: list[LevelFigures], limits: dict[str, float]) -> tuple[list[Figure], list[str]]:
    """Print each level's figures; return them as figures with their limits, and the broken budgets."""
    min_fps = limits["min_fps_share"] * NODE_FPS
    max_added = limits["max_added_cpu_share"] * 100
    figures: list[Figure] = []
    broken: list[str] = []
    print(f"streaming, one look-in at a time (node at {NODE_FPS:g} fps; budget ≥ {min_fps:.1f} fps delivered,"
          f" ≤ +{max_added:.0f} % of one core):")
    for s in streams:
        print(f"  {s.level:12s} {s.size[0]:3d}x{s.size[1]:<3d}  delivered {s.fps:4.1f} fps ({s.fps / NODE_FPS:.0%};"
              f" the pipeline took {s.node_fps:4.1f})  node CPU idle {s.idle_cpu:3.0f} %,"
              f" streaming {s.streaming_cpu:3.0f} % (+{s.added_cpu:.0f} % of one core)")
        figures += [Figure(f"{s.level} delivered fps", round(s.fps, 2), "fps", min_fps, higher_is_better=True),
                    Figure(f"{s.level} added CPU", round(s.added_cpu, 1), "% of a core", max_added)]
        if s.fps < min_fps:
            broken.append(f"lookin.stream {s.level}: {s.fps:.2f} fps < {min_fps:.2f} fps")
        if s.added_cpu > max_added:
            broken.append(f"lookin.stream {s.level}: +{s.added_cpu:.1f} % > +{max_added:.0f} % of one core")
    return figures, broken


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nattvakt bench lookin", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="look-ins opened one after another (default 20)")
    parser.add_argument("--cpu-window", type=float, default=5.0, help="seconds of each CPU reading")
    parser.add_argument("--levels", nargs="+", choices=PRIVACY_LEVELS, default=list(PRIVACY_LEVELS),
                        help="privacy levels to stream at (default all)")
    parser.add_argument("--results", type=Path, help="also write the figures as JSON (for `nattvakt bench all`)")
    args = parser.parse_args(argv)
    try:
        budget = load_budgets("lookin", ("first_frame",))["first_frame"]
        stream_limits = load_limits("lookin", "stream", ("min_fps_share", "max_added_cpu_share"))
    except BudgetError as exc:
        print(f"bench lookin: {exc}", file=sys.stderr)
        return 2
    clips = gmdcsa24_dir()
    source = str(clips / "Subject_1-Fall-14.mp4") if clips and (clips / "Subject_1-Fall-14.mp4").is_file() \
        else "synthetic"
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} cores; node source {source}")
    with tempfile.TemporaryDirectory(prefix="nattvakt-bench-lookin-") as tmp_name:
        tmp = Path(tmp_name)
        server = start_redis(tmp / "redis")
        port = free_port()
        database_url = f"sqlite:///{tmp / 'bench.db'}"
        engine, sessions = open_store(database_url)
        with sessions() as db:
            upsert_staff(db, "sara", PASSWORD, "nurse_admin")
            upsert_staff(db, "nils", PASSWORD, "night_staff")
        engine.dispose()
        common = {"redis_url": server.url, "database_url": database_url, "data_dir": str(tmp),
                  "events_stream": STREAM, "central__port": str(port), "log_level": "WARNING"}
        base = f"http://127.0.0.1:{port}"
        central = spawn_part(["central"], child_env(**common), tmp / "central.log")
        node: subprocess.Popen[bytes] | None = None
        health_port = free_port()
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            node = spawn_part(["node"], child_env(**common, node__node_id=NODE, node__room="rum-b", node__source=source,
                                         node__fps=f"{NODE_FPS:g}", node__width="640", node__height="480",
                                         node__perception_enabled="false", node__health_port=str(health_port)),
                              tmp / "node.log")
            figures = asyncio.run(_measure(base, server.url, (node.pid, f"http://127.0.0.1:{health_port}"), args.runs,
                                           args.cpu_window, tuple(args.levels), tmp))
        finally:
            for process in (node, central):
                if process is not None:
                    process.terminate()
                    process.wait(10)
            server.stop()
    ms = [value * 1000 for value in figures["latencies"]]
    p50, p95, p99 = statistics.median(ms), _percentile(ms, 0.95), _percentile(ms, 0.99)
    print(f"request → first decoded frame over {len(ms)} look-ins opened one after another (aiortc viewer, loopback):")
    print(f"  p50 {p50:.0f} ms   p95 {p95:.0f} ms   max {max(ms):.0f} ms   mean {statistics.fmean(ms):.0f} ms")
    stream_figures, broken_streams = _stream_verdicts(figures["streams"], stream_limits)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    if args.results:
        results = BenchResult("lookin")
        results.latency_stage("first_frame", ms, budget)
        results.figure_stage("stream", *stream_figures)
        results.notes.update({"p95 ms": round(p95), "look-ins": len(ms), "load average at start": round(load, 2)})
        results.notes.update({f"{s.level} node CPU idle / streaming %": f"{s.idle_cpu:.0f} / {s.streaming_cpu:.0f}"
                              for s in figures["streams"]})
        results.write(args.results)
    broken = [f"lookin.first_frame {name} {value:.0f} ms > {budget[name]:.0f} ms"
              for name, value in (("p50_ms", p50), ("p99_ms", p99)) if name in budget and value > budget[name]]
    for line in broken + broken_streams:
        print(f"BUDGET BROKEN: {line}")
    return 1 if broken or broken_streams else 0


if __name__ == "__main__":
    raise SystemExit(main())
