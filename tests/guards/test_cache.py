from __future__ import annotations

import math
import threading

import pytest

from earned.errors import UserError
from earned.guards import ToolCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_miss_then_hit(clock: Clock) -> None:
    cache = ToolCache(clock=clock)
    key = ToolCache.key("get_order", {"order_id": "A1"}, tenant="acme")
    assert cache.get(key) == (False, None)
    cache.put(key, {"status": "shipped"}, ttl=30.0)
    assert cache.get(key) == (True, {"status": "shipped"})
    assert cache.stats() == {
        "hits": 1, "misses": 1, "evictions": 0, "expirations": 0, "entries": 1,
    }  # fmt: skip


def test_entries_expire_after_their_ttl(clock: Clock) -> None:
    cache = ToolCache(clock=clock)
    cache.put("a", 1, ttl=10.0)
    cache.put("b", 2, ttl=100.0)
    clock.now = 9.9
    assert cache.get("a") == (True, 1)
    clock.now = 10.0
    assert cache.get("a") == (False, None)
    assert cache.get("b") == (True, 2)
    assert cache.stats()["expirations"] == 1
    assert len(cache) == 1


def test_infinite_ttl_lives_until_evicted(clock: Clock) -> None:
    cache = ToolCache(clock=clock)
    cache.put("a", 1, ttl=math.inf)
    clock.now = 1e12
    assert cache.get("a") == (True, 1)


def test_least_recently_used_is_evicted(clock: Clock) -> None:
    cache = ToolCache(max_entries=2, clock=clock)
    cache.put("a", 1, ttl=60)
    cache.put("b", 2, ttl=60)
    assert cache.get("a") == (True, 1)  # b is now the least recently used
    cache.put("c", 3, ttl=60)
    assert cache.get("b") == (False, None)
    assert cache.get("a") == (True, 1)
    assert cache.get("c") == (True, 3)
    assert cache.stats()["evictions"] == 1


def test_put_again_refreshes_value_and_ttl(clock: Clock) -> None:
    cache = ToolCache(clock=clock)
    cache.put("a", 1, ttl=5)
    clock.now = 4
    cache.put("a", 2, ttl=5)
    clock.now = 8
    assert cache.get("a") == (True, 2)


def test_tenants_never_share_a_key() -> None:
    args = {"order_id": "A1"}
    keys = {
        ToolCache.key("get_order", args, tenant="acme"),
        ToolCache.key("get_order", args, tenant="globex"),
        ToolCache.key("get_order", args, tenant=None),
        ToolCache.key("get_order", args, tenant="None"),
        ToolCache.key("get_invoice", args, tenant="acme"),
        ToolCache.key("get_order", {"order_id": "A2"}, tenant="acme"),
    }
    assert len(keys) == 6


def test_key_ignores_argument_order() -> None:
    a = ToolCache.key("t", {"x": 1, "y": [1, 2]}, tenant="t1")
    b = ToolCache.key("t", {"y": [1, 2], "x": 1}, tenant="t1")
    assert a == b
    assert a.startswith("t:")


def test_values_are_copied_in_and_out() -> None:
    cache = ToolCache()
    value = {"items": [1, 2]}
    cache.put("k", value, ttl=60)
    value["items"].append(3)
    _, first = cache.get("k")
    first["items"].append(99)
    assert cache.get("k") == (True, {"items": [1, 2]})


def test_invalidate_and_clear() -> None:
    cache = ToolCache()
    cache.put("a", 1, ttl=60)
    cache.put("b", 2, ttl=60)
    assert cache.invalidate("a")
    assert not cache.invalidate("a")
    cache.clear()
    assert len(cache) == 0
    assert cache.get("b") == (False, None)


@pytest.mark.parametrize("ttl", [0, -1, math.nan])
def test_non_positive_ttl_is_a_user_error(ttl: float) -> None:
    with pytest.raises(UserError, match="ttl") as info:
        ToolCache().put("k", 1, ttl=ttl)
    assert info.value.details["key"] == "k"


def test_max_entries_must_be_positive() -> None:
    with pytest.raises(UserError, match="max_entries"):
        ToolCache(max_entries=0)


def test_thread_safe_under_contention() -> None:
    cache = ToolCache(max_entries=50)

    def worker(n: int) -> None:
        for i in range(500):
            key = f"k{(n * 7 + i) % 80}"
            cache.put(key, i, ttl=60)
            cache.get(key)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = cache.stats()
    assert stats["entries"] <= 50
    assert stats["hits"] + stats["misses"] == 8 * 500
