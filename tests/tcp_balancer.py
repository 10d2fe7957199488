"""A small TCP load balancer for tests: round-robin over backends, skipping one that refuses the connection (as
haproxy does with a dead server), so a client reconnecting after its backend died lands on a live one."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def balancer(port: int, backends: list[int]) -> AsyncIterator[None]:
    """Listen on 127.0.0.1:`port` and forward each connection to the next live backend port."""
    turn = itertools.cycle(range(len(backends)))
    pipes: set[asyncio.Task[None]] = set()

    async def serve(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        start = next(turn)
        for i in range(len(backends)):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", backends[(start + i) % len(backends)])
            except OSError:
                continue
            for task in (asyncio.create_task(_pipe(client_reader, writer)),
                         asyncio.create_task(_pipe(reader, client_writer))):
                pipes.add(task)
                task.add_done_callback(pipes.discard)
            return
        client_writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()
        for task in list(pipes):
            task.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)
