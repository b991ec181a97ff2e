"""A TTL + LRU cache for read-tool results, keyed by tool, arguments and tenant.

Only read tools are cached (a risk-class default: writes never are). The key is a digest of
the tool name, its canonical arguments *and the tenant*, so two tenants asking the same
question never share an answer::

    cache = ToolCache()
    key = ToolCache.key("get_order_summary", {"order_id": "A1"}, tenant="acme")
    hit, value = cache.get(key)
    if not hit:
        value = fetch()
        cache.put(key, value, ttl=30.0)

Values are deep-copied on the way in and out, so a caller that mutates a result cannot
change what the next caller reads. Store JSON-like data (what tools return after their
field allowlist), not live objects.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from earned.digest import digest
from earned.errors import UserError

__all__ = ["ToolCache"]


class ToolCache:
    """Tool results with a time-to-live per entry, evicting the least recently used.

    Thread-safe; `clock` returns seconds (monotonic by default) and is injected by tests.
    """

    def __init__(
        self, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_entries < 1:
            raise UserError(
                f"max_entries must be at least 1, got {max_entries}; to disable caching, "
                "give the tool no cache_ttl",
                max_entries=max_entries,
            )
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._stats = {"hits": 0, "misses": 0, "evictions": 0, "expirations": 0}

    @staticmethod
    def key(tool: str, arguments: Mapping[str, Any], *, tenant: str | None) -> str:
        """The cache key of one call: tool name plus a digest of tool, arguments and tenant."""
        return f"{tool}:{digest({'tool': tool, 'arguments': dict(arguments), 'tenant': tenant})}"

    def get(self, key: str) -> tuple[bool, Any]:
        """(True, value) for a live entry, (False, None) for a missing or expired one."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] <= self._clock():
                del self._entries[key]
                self._stats["expirations"] += 1
                entry = None
            if entry is None:
                self._stats["misses"] += 1
                return False, None
            self._entries.move_to_end(key)
            self._stats["hits"] += 1
            value = entry[1]
        return True, copy.deepcopy(value)

    def put(self, key: str, value: Any, ttl: float) -> None:
        """Store `value` under `key` for `ttl` seconds (math.inf: until evicted)."""
        if not ttl > 0:
            raise UserError(
                f"cache ttl must be > 0 seconds, got {ttl!r}; do not call put() for a tool "
                "without cache_ttl",
                key=key,
                ttl=ttl,
            )
        stored = copy.deepcopy(value)
        with self._lock:
            expires = math.inf if math.isinf(ttl) else self._clock() + ttl
            self._entries[key] = (expires, stored)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
                self._stats["evictions"] += 1

    def invalidate(self, key: str) -> bool:
        """Drop one entry (after a write changed what it describes); True if it existed."""
        with self._lock:
            return self._entries.pop(key, None) is not None

    def clear(self) -> None:
        """Drop every entry; the counters are kept."""
        with self._lock:
            self._entries.clear()

    def stats(self) -> dict[str, int]:
        """Counters: hits, misses, entries, evictions (LRU) and expirations (TTL)."""
        with self._lock:
            return {**self._stats, "entries": len(self._entries)}

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
