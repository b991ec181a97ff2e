"""Template filters: times, ages, durations, money and JSON, written the same on every page."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = ["FILTERS", "age", "duration_ms", "money", "pretty_json", "when"]


def when(epoch: float | None) -> str:
    """An epoch time as `2026-11-21 12:10:05 UTC` ('-' for None)."""
    if epoch is None or not math.isfinite(epoch):
        return "-"
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def age(seconds: float | None) -> str:
    """A span of seconds as `42s`, `7m`, `3h 5m` or `2d 4h`."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def duration_ms(ms: float | None) -> str:
    """Milliseconds as `850 ms` or `2.4 s` ('-' while unknown)."""
    if ms is None or not math.isfinite(ms):
        return "-"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def money(dollars: float | None) -> str:
    """Dollars as `$0.0042` (four decimals below a dollar, two above)."""
    if dollars is None or not math.isfinite(dollars):
        return "-"
    return f"${dollars:.4f}" if abs(dollars) < 1 else f"${dollars:,.2f}"


def pretty_json(value: Any) -> str:
    """A JSON value, indented (the template escapes it)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


FILTERS: dict[str, Callable[..., Any]] = {
    "when": when,
    "age": age,
    "duration": duration_ms,
    "money": money,
    "pretty_json": pretty_json,
}
