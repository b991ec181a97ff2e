"""Per-key rate limits: a sliding-window log, safe across threads and asyncio tasks.

The runtime asks before every call of a rate-limited tool, with keys like ``tool:NAME``
and ``tool:NAME:tenant:T`` so that one tenant cannot spend another's allowance::

    limiter = RateLimiter()
    limit = RateLimit.parse("5/minute", tool="issue_refund")
    if not await limiter.acquire("tool:issue_refund:tenant:acme", limit, wait=1.0):
        ...  # report a transient error instead of calling the tool

A sliding-window log keeps the time of each granted call for one window, so "5 per minute"
means at most 5 calls in *any* 60-second span (a fixed window would allow 10 across a
boundary). Memory is at most `calls` timestamps per active key; idle keys are dropped.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable

from earned.errors import UserError
from earned.tools._risk import RateLimit

__all__ = ["RateLimiter"]


class RateLimiter:
    """Grants at most `limit.calls` calls per key in any `limit.per_seconds` window.

    `clock` returns seconds (monotonic by default) and `sleep` waits; tests inject both.
    The lock is a `threading.Lock` that is never held across an `await`, so one limiter
    serves threads and asyncio tasks alike.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._log: dict[str, deque[float]] = {}

    async def acquire(self, key: str, limit: RateLimit, *, wait: float = 0.0) -> bool:
        """Take one call from `key`'s allowance.

        Returns True when the call is allowed now, or becomes allowed within `wait` seconds
        (then it sleeps until it is, and returns True); False otherwise, without waiting.
        """
        _check(limit, wait)
        deadline = self._clock() + wait
        while True:
            retry_at = self._try_take(key, limit)
            if retry_at is None:
                return True
            if retry_at > deadline:
                return False
            await self._sleep(max(0.0, retry_at - self._clock()))

    def try_acquire(self, key: str, limit: RateLimit) -> bool:
        """Take one call now if allowed, without waiting (for synchronous callers)."""
        _check(limit, 0.0)
        return self._try_take(key, limit) is None

    def remaining(self, key: str, limit: RateLimit) -> int:
        """How many calls `key` may still make in the current window."""
        _check(limit, 0.0)
        with self._lock:
            log = self._pruned(key, limit, self._clock())
            return max(0, limit.calls - len(log))

    def retry_after(self, key: str, limit: RateLimit) -> float:
        """Seconds until `key` may make one more call (0.0 when it may now)."""
        _check(limit, 0.0)
        with self._lock:
            now = self._clock()
            log = self._pruned(key, limit, now)
            if len(log) < limit.calls:
                return 0.0
            return max(0.0, log[len(log) - limit.calls] + limit.per_seconds - now)

    def _try_take(self, key: str, limit: RateLimit) -> float | None:
        """Record a call and return None, or return when the next call will be allowed."""
        with self._lock:
            now = self._clock()
            log = self._pruned(key, limit, now)
            if len(log) < limit.calls:
                log.append(now)
                self._log[key] = log
                return None
            return log[len(log) - limit.calls] + limit.per_seconds

    def _pruned(self, key: str, limit: RateLimit, now: float) -> deque[float]:
        """`key`'s log without the calls older than one window (caller holds the lock)."""
        log = self._log.get(key)
        if log is None:
            return deque()
        horizon = now - limit.per_seconds
        while log and log[0] <= horizon:
            log.popleft()
        if not log:
            del self._log[key]
        return log


def _check(limit: RateLimit, wait: float) -> None:
    if limit.calls <= 0 or not limit.per_seconds > 0 or math.isinf(limit.per_seconds):
        raise UserError(
            f"rate limit {limit} cannot be enforced: it needs calls >= 1 and a finite "
            'per_seconds > 0; build it with RateLimit.parse("10/minute", tool=...)',
            calls=limit.calls,
            per_seconds=limit.per_seconds,
        )
    if not wait >= 0 or math.isinf(wait):
        raise UserError(
            f"wait must be a finite number of seconds >= 0, got {wait!r}",
            wait=wait,
        )
