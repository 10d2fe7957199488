"""Bus parts as real child processes, for failure tests: `python -m tests.bus_processes produce|consume`.

`produce` publishes numbered events from one node through the real publisher and spool, prints
`spooled <n>` once all are on disk and `drained` once Redis has them all, then waits to be killed.
`consume` runs one central consumer (no web app) and prints `read <n>` as its feed grows.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import redis.asyncio as aioredis

from camera_node.publisher import EventPublisher
from camera_node.spool import Spool
from central.events.consumer import EventConsumer
from central.events.feed import EventFeed
from nattvakt.events import Event, Origin, Severity


def numbered_event(node: str, n: int, severity: Severity = Severity.HIGH) -> Event:
    """Event number `n` of `node`; tests check order and completeness by `details.n`."""
    return Event(node=node, room=f"room-{node}", kind="on_floor", severity=severity, details={"n": n})


async def produce(args: argparse.Namespace) -> None:
    spool = Spool(Path(args.data_dir) / f"spool-{args.node}.sqlite3", 100_000)
    publisher = EventPublisher(args.redis_url, args.stream, spool, Origin(args.node, f"room-{args.node}"))
    publisher.start()
    for n in range(args.first, args.first + args.count):
        publisher.submit(numbered_event(args.node, n))
    await publisher.persisted()
    print(f"spooled {args.count}", flush=True)
    await publisher.sent()
    print(f"drained published={publisher.published} skipped={publisher.duplicates_skipped}", flush=True)
    await asyncio.Event().wait()


async def consume(args: argparse.Namespace) -> None:
    redis = aioredis.from_url(args.redis_url, decode_responses=True)
    feed = EventFeed(history=100_000)
    consumer = EventConsumer(redis, args.stream, args.name, feed, claim_idle_s=args.claim_idle_s)
    consumer.start()
    shown = -1
    while True:
        if len(feed) != shown:
            shown = len(feed)
            print(f"read {shown}", flush=True)
        await asyncio.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["produce", "consume"])
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--stream", required=True)
    parser.add_argument("--data-dir", default=".")
    parser.add_argument("--node", default="n1")
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--name", default="central-a")
    parser.add_argument("--claim-idle-s", type=float, default=30.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(produce(args) if args.role == "produce" else consume(args))


if __name__ == "__main__":
    main()
