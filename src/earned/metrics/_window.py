"""Windows ("5m", "1h", "24h", "7d"), the dimensions metrics are cut by, and a query's scope."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from earned.errors import UserError

__all__ = ["DIMENSIONS", "Dimension", "GroupKey", "Query", "format_window", "parse_window"]

#: What a metric can be filtered and grouped by.
Dimension = Literal["agent", "capability", "tool", "tenant"]
DIMENSIONS: tuple[Dimension, ...] = get_args(Dimension)
#: The values of the grouping dimensions, in the order of `Query.by`.
GroupKey = tuple[str | None, ...]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_WINDOW = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
#: The longest window: a year (older traces are rarely kept, and baselines multiply it).
MAX_WINDOW_SECONDS = 366 * 86400


def parse_window(text: str | float) -> float:
    """Seconds in a window written `30s`, `5m`, `1h`, `24h`, `7d` or `2w` (or a number)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text)
    else:
        match = _WINDOW.match(str(text))
        if match is None:
            raise UserError(
                f"cannot read the window {text!r}; write a whole number and a unit, "
                "such as 5m, 1h, 24h or 7d (units: s, m, h, d, w)",
                window=str(text),
            )
        seconds = float(int(match.group(1)) * _UNITS[match.group(2)])
    if not 0 < seconds <= MAX_WINDOW_SECONDS:
        raise UserError(
            f"the window {text!r} must be longer than 0 and at most 366d",
            window=str(text),
        )
    return seconds


def format_window(seconds: float) -> str:
    """The shortest exact form: 300 -> `5m`, 86400 -> `24h`, 604800 -> `7d`."""
    whole = int(seconds)
    if whole != seconds:
        return f"{seconds:g}s"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole % size == 0 and (unit != "d" or whole >= 2 * 86400):
            return f"{whole // size}{unit}"
    return f"{whole}s"


def check_dimensions(names: Iterable[str], *, what: str) -> tuple[Dimension, ...]:
    """`names` as dimensions, or UserError naming the valid ones."""
    out: list[Dimension] = []
    for name in names:
        if name not in DIMENSIONS:
            raise UserError(
                f"cannot {what} {name!r}; metrics are cut by {', '.join(DIMENSIONS)}",
                dimension=name,
            )
        out.append(name)
    return tuple(out)


@dataclass(frozen=True, kw_only=True)
class Query:
    """What to measure over: the time range [since, until), filters, and grouping."""

    since: float
    until: float
    where: tuple[tuple[Dimension, str], ...] = ()
    by: tuple[Dimension, ...] = ()

    @classmethod
    def build(
        cls,
        *,
        since: float,
        until: float,
        where: Mapping[str, str | None] | None = None,
        by: Iterable[str] = (),
    ) -> Query:
        """A query with checked dimensions; filters whose value is None are dropped."""
        filters = {k: v for k, v in (where or {}).items() if v is not None}
        names = check_dimensions(filters, what="filter by")
        if until <= since:
            raise UserError(
                f"a metrics query needs since < until, got since={since} until={until}",
                since=since,
                until=until,
            )
        return cls(
            since=since,
            until=until,
            where=tuple(sorted((n, str(filters[n])) for n in names)),
            by=check_dimensions(by, what="group by"),
        )

    @property
    def seconds(self) -> float:
        """The window's length."""
        return self.until - self.since

    @property
    def dimensions(self) -> frozenset[str]:
        """Every dimension the query filters or groups on."""
        return frozenset(self.by) | {name for name, _ in self.where}

    def shifted(self, windows: int) -> Query:
        """The same query `windows` window-lengths earlier (for baselines)."""
        delta = self.seconds * windows
        return Query(
            since=self.since - delta, until=self.until - delta, where=self.where, by=self.by
        )
