from __future__ import annotations

import asyncio
import threading

import pytest

from earned.errors import UserError
from earned.guards import RateLimiter
from earned.tools._risk import RateLimit


class FakeTime:
    """A clock that only moves when the limiter sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def limiter(fake: FakeTime) -> RateLimiter:
    return RateLimiter(clock=fake.clock, sleep=fake.sleep)


FIVE_A_MINUTE = RateLimit(calls=5, per_seconds=60.0)


async def test_allows_up_to_the_limit_then_refuses(limiter: RateLimiter) -> None:
    results = [await limiter.acquire("tool:x", FIVE_A_MINUTE) for _ in range(6)]
    assert results == [True] * 5 + [False]
    assert limiter.remaining("tool:x", FIVE_A_MINUTE) == 0


async def test_window_slides(limiter: RateLimiter, fake: FakeTime) -> None:
    for _ in range(5):
        assert await limiter.acquire("k", FIVE_A_MINUTE)
        fake.now += 10  # calls at 0, 10, 20, 30, 40
    assert not await limiter.acquire("k", FIVE_A_MINUTE)  # t=50
    fake.now = 1060.0  # the call at t=0 leaves the window
    assert limiter.remaining("k", FIVE_A_MINUTE) == 1
    assert await limiter.acquire("k", FIVE_A_MINUTE)
    assert not await limiter.acquire("k", FIVE_A_MINUTE)
    assert limiter.retry_after("k", FIVE_A_MINUTE) == pytest.approx(10.0)


async def test_no_burst_across_a_fixed_window_boundary(
    limiter: RateLimiter, fake: FakeTime
) -> None:
    fake.now = 1059.0
    assert all([await limiter.acquire("k", FIVE_A_MINUTE) for _ in range(5)])
    fake.now = 1061.0  # a fixed window would have reset here
    assert not await limiter.acquire("k", FIVE_A_MINUTE)


async def test_keys_are_independent(limiter: RateLimiter) -> None:
    one = RateLimit(calls=1, per_seconds=60.0)
    assert await limiter.acquire("tool:refund:tenant:a", one)
    assert not await limiter.acquire("tool:refund:tenant:a", one)
    assert await limiter.acquire("tool:refund:tenant:b", one)
    assert await limiter.acquire("tool:other", one)


async def test_waits_when_a_slot_frees_within_wait(limiter: RateLimiter, fake: FakeTime) -> None:
    one = RateLimit(calls=1, per_seconds=2.0)
    assert await limiter.acquire("k", one)
    fake.now += 0.5
    assert await limiter.acquire("k", one, wait=2.0)
    assert fake.sleeps == [pytest.approx(1.5)]
    assert fake.now == pytest.approx(1002.0)


async def test_does_not_wait_when_the_slot_frees_too_late(
    limiter: RateLimiter, fake: FakeTime
) -> None:
    one = RateLimit(calls=1, per_seconds=10.0)
    assert await limiter.acquire("k", one)
    assert not await limiter.acquire("k", one, wait=5.0)
    assert fake.sleeps == []


async def test_concurrent_tasks_get_exactly_the_limit(limiter: RateLimiter) -> None:
    limit = RateLimit(calls=7, per_seconds=60.0)
    results = await asyncio.gather(*(limiter.acquire("k", limit) for _ in range(50)))
    assert sum(results) == 7


def test_threads_get_exactly_the_limit() -> None:
    limiter = RateLimiter(clock=lambda: 5.0)
    limit = RateLimit(calls=100, per_seconds=60.0)
    granted: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            ok = limiter.try_acquire("k", limit)
            with lock:
                granted.append(ok)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(granted) == 100
    assert len(granted) == 400


def test_remaining_of_an_unused_key_is_the_full_allowance(limiter: RateLimiter) -> None:
    assert limiter.remaining("never-used", FIVE_A_MINUTE) == 5
    assert limiter.retry_after("never-used", FIVE_A_MINUTE) == 0.0


def test_parsed_limits_work(limiter: RateLimiter) -> None:
    limit = RateLimit.parse("2/minute", tool="issue_refund")
    assert limiter.try_acquire("k", limit)
    assert limiter.try_acquire("k", limit)
    assert not limiter.try_acquire("k", limit)


@pytest.mark.parametrize(
    "limit", [RateLimit(calls=0, per_seconds=1.0), RateLimit(calls=1, per_seconds=0.0)]
)
async def test_unenforceable_limit_is_a_user_error(limiter: RateLimiter, limit: RateLimit) -> None:
    with pytest.raises(UserError, match="cannot be enforced"):
        await limiter.acquire("k", limit)


async def test_negative_wait_is_a_user_error(limiter: RateLimiter) -> None:
    with pytest.raises(UserError, match="wait"):
        await limiter.acquire("k", FIVE_A_MINUTE, wait=-1.0)
