"""Admission of login attempts, before any database work or password hashing.

A login costs an argon2 check (~64 MiB and a core for tens of milliseconds) and database writes; alarms reach the
console through the same process. So an attempt must first pass a per-client-address rate limit (in Redis through
`limits`, shared by every central instance), then wait for one of a few dedicated, lower-priority login threads in a
short queue. What does not fit is refused at once with a wait time, costing almost nothing: a flood of logins can
neither take the threads the console's feed needs nor more than its share of the CPU.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from central.errors import CentralError
from central.staff.service import VERIFY_AT_ONCE

log = logging.getLogger(__name__)
T = TypeVar("T")

LOGIN_THREAD_NICE = 10
"""Login threads run this much nicer than the rest of central: under a flood the event loop gets the CPU first."""
BUSY_WAIT_S = 2
"""What a login refused because the queue is full is told to wait."""


class LoginRefused(CentralError):
    """A login attempt is not admitted now; `wait_s` says when it may try again, `why` which limit refused it."""

    def __init__(self, why: str, wait_s: int, *, first: bool = False) -> None:
        super().__init__(f"{why}; try again in {wait_s} s")
        self.why, self.wait_s, self.first = why, wait_s, first


@dataclass(frozen=True, slots=True)
class AdmissionPolicy:
    client_attempts: int
    """Login attempts one client address may make per window."""
    client_window_s: float
    queue: int
    """Admitted attempts that may wait for a login thread; more are refused."""


class ClientLimit:
    """Login attempts per client address in a moving window, counted in Redis before anything else is done."""

    def __init__(self, redis_url: str, attempts: int, window_s: float) -> None:
        self._storage = RedisStorage(f"async+{redis_url}", implementation="redispy", key_prefix="nattvakt:login",
                                     wrap_exceptions=True, socket_connect_timeout=2, socket_timeout=2)
        self._limiter = MovingWindowRateLimiter(self._storage)
        window = max(1, round(window_s))
        self._item = RateLimitItemPerSecond(attempts, window)
        self._once = RateLimitItemPerSecond(1, window)

    async def wait_for(self, client: str) -> int:
        """Seconds `client` must wait before another attempt (0: admitted, and counted).

        Refused attempts are not counted, so a flood does not push a shared address's next chance further away.
        With Redis away the limit is skipped (logged): the login queue and the per-username lockout still hold.
        """
        try:
            if await self._limiter.hit(self._item, client):
                return 0
            stats = await self._limiter.get_window_stats(self._item, client)
        except StorageError as exc:
            log.warning("login rate limit skipped, Redis unavailable: %s", exc)
            return 0
        return max(1, int(stats.reset_time - time.time() + 0.999))

    async def first_refusal(self, client: str) -> bool:
        """True once per window for a refused address: its flood goes into the audit trail as one record."""
        try:
            return await self._limiter.hit(self._once, "refused", client)
        except StorageError:
            return False


def _lower_priority() -> None:
    """Runs in each new login thread: Linux takes the thread's own id, so only this thread (and any it starts, such
    as argon2's lanes) becomes nicer."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOGIN_THREAD_NICE)
    except OSError as exc:  # not Linux, or not allowed: the queue bound still holds
        log.warning("login threads keep normal priority: %s", exc)


class LoginQueue:
    """Login work on its own `VERIFY_AT_ONCE` threads; at most `queue` more attempts wait, others are refused."""

    def __init__(self, queue: int) -> None:
        self._executor = ThreadPoolExecutor(VERIFY_AT_ONCE, thread_name_prefix="login", initializer=_lower_priority)
        self._limit = VERIFY_AT_ONCE + queue
        self._in_flight = 0
        self._lock = threading.Lock()

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` on a login thread; `LoginRefused` at once when the queue is full."""
        with self._lock:
            if self._in_flight >= self._limit:
                raise LoginRefused("too many logins at once", BUSY_WAIT_S)
            self._in_flight += 1
        try:
            future = self._executor.submit(work)
        except RuntimeError:
            self._done(None)
            raise
        future.add_done_callback(self._done)  # counted until the thread is free, even if the caller went away
        return await asyncio.wrap_future(future)

    def _done(self, _future: Future[T] | None) -> None:
        with self._lock:
            self._in_flight -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


class LoginAdmission:
    """The per-client limit, then the login queue: what `POST /api/login` passes before it checks a password."""

    def __init__(self, redis_url: str, policy: AdmissionPolicy) -> None:
        self.limit = ClientLimit(redis_url, policy.client_attempts, policy.client_window_s)
        self.queue = LoginQueue(policy.queue)

    async def run(self, client: str, work: Callable[[], T]) -> T:
        """`work()` once admitted; else `LoginRefused` (`first` set on an address's first refusal in a window)."""
        wait = await self.limit.wait_for(client)
        if wait:
            raise LoginRefused("too many login attempts from this address", wait,
                               first=await self.limit.first_refusal(client))
        return await self.queue.run(work)

    def close(self) -> None:
        self.queue.close()
