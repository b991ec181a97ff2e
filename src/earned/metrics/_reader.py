"""Compute metrics from the project database over a window, filtered and grouped.

```python
reader = MetricsReader(db)
report = reader.compute(window="1h", by=["tool"])
for value in report.values:
    print(value.metric, value.group, value.value, value.samples)
```
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from earned.errors import UserError
from earned.metrics._catalog import METRICS, SOURCES, MetricDef
from earned.metrics._sql import Measure, Measures
from earned.metrics._window import Dimension, GroupKey, Query, format_window, parse_window
from earned.store import Database

__all__ = ["MetricValue", "MetricsReader", "MetricsReport"]


@dataclass(frozen=True, kw_only=True)
class MetricValue:
    """One metric for one group over one window. `value` is None when nothing was measured."""

    metric: str
    group: dict[str, str | None]
    value: float | None
    samples: int
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def definition(self) -> MetricDef:
        """The metric's catalog entry (family, unit, description)."""
        return METRICS[self.metric]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        meta = self.definition
        return {
            "metric": self.metric,
            "family": meta.family,
            "unit": meta.unit,
            "group": self.group,
            "value": self.value,
            "samples": self.samples,
            "details": self.details,
        }


@dataclass(frozen=True, kw_only=True)
class MetricsReport:
    """Every metric computed for one query; `skipped` names metrics the query cannot cut."""

    since: float
    until: float
    where: dict[str, str]
    by: tuple[Dimension, ...]
    values: list[MetricValue]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def window(self) -> str:
        """The window, written as it would be on the command line."""
        return format_window(self.until - self.since)

    def get(self, metric: str, **group: str | None) -> MetricValue | None:
        """The value of `metric` for the group with these dimension values (all of them)."""
        for value in self.values:
            if value.metric == metric and value.group == group:
                return value
        return None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "window": self.window,
            "since": self.since,
            "until": self.until,
            "where": self.where,
            "by": list(self.by),
            "metrics": [v.to_dict() for v in self.values],
            "skipped": self.skipped,
        }


def _check_metrics(names: Iterable[str] | None) -> list[str]:
    if names is None:
        return list(METRICS)
    out = list(names)
    for name in out:
        if name not in METRICS:
            raise UserError(
                f"unknown metric {name!r}; known metrics: {', '.join(METRICS)}",
                metric=name,
            )
    return out


class MetricsReader:
    """Reads metrics from the project database (which must be migrated)."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        """Read from `db`; `clock` gives the current epoch seconds (windows end there)."""
        db.check_revision()
        self.db = db
        self._clock = clock

    def now(self) -> float:
        """The reader's current time."""
        return self._clock()

    def compute(
        self,
        metrics: Iterable[str] | None = None,
        *,
        window: str | float = "1h",
        where: Mapping[str, str | None] | None = None,
        by: Iterable[str] = (),
        until: float | None = None,
    ) -> MetricsReport:
        """Every metric named (default: all) over the window ending at `until` (default: now).

        Metrics that cannot be filtered or grouped as asked (a run metric by tool) are left
        out and listed in `skipped` with the reason.
        """
        end = self.now() if until is None else until
        query = Query.build(since=end - parse_window(window), until=end, where=where, by=by)
        names = _check_metrics(metrics)
        skipped = {n: _unsupported(METRICS[n], query) for n in names}
        wanted = [n for n in names if not skipped[n]]
        measured = self.measure_sources({METRICS[n].source for n in wanted}, query)
        if not query.by:  # one row per metric, even when there was nothing to measure
            for name in wanted:
                found = measured[METRICS[name].source].setdefault((), {})
                found.setdefault(name, Measure(value=None, samples=0))
        values = [
            _value(name, key, found, query)
            for name in wanted
            for key, found in sorted(measured[METRICS[name].source].items(), key=_sort_key)
            if name in found
        ]
        return MetricsReport(
            since=query.since,
            until=query.until,
            where=dict(query.where),
            by=query.by,
            values=values,
            skipped={n: reason for n, reason in skipped.items() if reason},
        )

    def measure_sources(self, sources: Iterable[str], query: Query) -> dict[str, Measures]:
        """Run each source query once, on one connection (one consistent read)."""
        with self.db.engine.connect() as conn:
            return {name: SOURCES[name].compute(conn, query) for name in sorted(set(sources))}

    def measure(
        self,
        metric: str,
        query: Query,
        *,
        cache: dict[tuple[str, Query], Measures] | None = None,
    ) -> list[MetricValue]:
        """One metric for `query`, one value per group found.

        `cache` (a dict the caller keeps) reuses a source's result for metrics computed by
        the same query, as when several alert rules share a window.
        """
        meta = METRICS[_check_metrics([metric])[0]]
        reason = _unsupported(meta, query)
        if reason:
            raise UserError(reason, metric=metric, dimensions=sorted(query.dimensions))
        key = (meta.source, query)
        found = None if cache is None else cache.get(key)
        if found is None:
            found = self.measure_sources([meta.source], query)[meta.source]
            if cache is not None:
                cache[key] = found
        return [
            _value(metric, key, measures, query)
            for key, measures in sorted(found.items(), key=_sort_key)
            if metric in measures
        ]


def _unsupported(meta: MetricDef, query: Query) -> str:
    missing = sorted(query.dimensions - set(meta.dimensions))
    if not missing:
        return ""
    return (
        f"{meta.name} cannot be cut by {', '.join(missing)}; "
        f"it can be by {', '.join(meta.dimensions)}"
    )


def _sort_key(item: tuple[GroupKey, Any]) -> tuple[tuple[bool, str], ...]:
    return tuple((v is not None, v or "") for v in item[0])


def _value(name: str, key: GroupKey, found: Mapping[str, Measure], query: Query) -> MetricValue:
    measure = found[name]
    return MetricValue(
        metric=name,
        group=dict(zip(query.by, key, strict=True)),
        value=measure.value,
        samples=measure.samples,
        details=measure.details,
    )
