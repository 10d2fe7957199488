"""Verification benchmark: what central's signature check adds per event on the consumer's decoder path.

`python -m benchmarks.verify` or `nattvakt bench verify`. Decodes the same signed entries (a typical motion or
on_floor event from 200 nodes) with the plain decoder and with `EventVerifier.decode` (size check, HMAC-SHA256 over
the entry, node check), in one thread, alternating in blocks so both see the same machine load. Reports the extra
time per event (p50/p99 of per-block means) and exits 1 when it breaks `[verify.per_event]` in
`benchmarks/budgets.toml`.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.budgets import BudgetError, load_budgets
from benchmarks.results import BenchResult
from central.events.verification import EventVerifier
from nattvakt.events import Event, Severity, decode_stream_entry
from privacy.event_signing import signer_for

BLOCK = 500


def _entries(master: bytes, count: int) -> list[dict[str, str]]:
    signers = [signer_for(master, f"node-{i:03d}") for i in range(200)]
    out = []
    for i in range(count):
        kind, severity = ("on_floor", Severity.HIGH) if i % 10 == 0 else ("motion", Severity.INFO)
        event = Event(node=f"node-{i % 200:03d}", room=f"rum-{i % 200}", kind=kind, severity=severity,
                      details={"score": 0.012, "n": i})
        out.append(signers[i % 200].fields(event))
    return out


def measure(blocks: int) -> tuple[list[float], list[float]]:
    """Per-event µs of each block: plain decoding, verified decoding."""
    master = secrets.token_bytes(32)
    verifier = EventVerifier(master, 16_384)
    entries = _entries(master, BLOCK)
    plain, verified = [], []
    for _ in range(blocks):
        began = time.perf_counter()
        for fields in entries:
            decode_stream_entry(fields)
        plain.append((time.perf_counter() - began) / BLOCK * 1e6)
        began = time.perf_counter()
        for fields in entries:
            verifier.decode(fields)
        verified.append((time.perf_counter() - began) / BLOCK * 1e6)
    return plain, verified


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nattvakt bench verify", description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=200, help=f"blocks of {BLOCK} events (default 200)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 blocks")
    parser.add_argument("--results", type=Path, help="also write the figures as JSON (for `nattvakt bench all`)")
    args = parser.parse_args(argv)
    if args.quick:
        args.blocks = 20
    if args.blocks < 1:
        parser.error("--blocks must be positive")
    try:
        budgets = load_budgets("verify", ("per_event",))
    except BudgetError as exc:
        print(f"bench verify: {exc}", file=sys.stderr)
        return 2
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {args.blocks} blocks of {BLOCK} events")
    plain, verified = measure(args.blocks)
    extra_ms = [(v - p) / 1000 for p, v in zip(plain, verified, strict=True)]
    result = BenchResult("verify")
    stage = result.latency_stage("per_event", extra_ms, budgets["per_event"])
    print(f"  plain decode:    p50 {np.percentile(plain, 50):.1f} µs/event")
    print(f"  verified decode: p50 {np.percentile(verified, 50):.1f} µs/event")
    print(f"  added by verification: p50 {np.percentile(extra_ms, 50) * 1000:.1f} µs, "
          f"p99 {np.percentile(extra_ms, 99) * 1000:.1f} µs per event")
    if args.results is not None:
        result.write(args.results)
    broken = [f"verify.per_event {f.name} {f.value * 1000:.1f} µs over {f.limit * 1000:.1f} µs"
              for f in stage.figures if not f.ok and f.limit is not None]
    for line in broken:
        print(f"BUDGET BROKEN: {line}")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
