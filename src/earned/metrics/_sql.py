"""SQL building blocks shared by the metric sources: one code path for SQLite and PostgreSQL.

Percentiles use the nearest-rank method (the value at rank ceil(p * n) in ascending order),
computed with window functions so that only three rows per group leave the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from earned.metrics._window import Dimension, GroupKey, Query
from earned.rehearsals import live_runs

__all__ = [
    "PERCENTILES",
    "Columns",
    "Measure",
    "Measures",
    "day_slice",
    "group_columns",
    "key_of",
    "percentiles",
    "ratio",
    "scoped",
]

#: The percentiles every latency metric reports, as whole percents.
PERCENTILES = (50, 95, 99)
#: Which column carries each dimension, for one source.
Columns = Mapping[Dimension, sa.ColumnElement[Any]]


@dataclass(frozen=True, kw_only=True)
class Measure:
    """One metric's value for one group: None when there is nothing to measure."""

    value: float | None
    samples: int
    details: dict[str, Any] = field(default_factory=dict)


#: A source's output: per group, per metric name.
Measures = dict[GroupKey, dict[str, Measure]]


def ratio(part: float | None, whole: float | None) -> float | None:
    """part / whole, or None when whole is zero or missing."""
    if not whole or part is None:
        return None
    return float(part) / float(whole)


def group_columns(columns: Columns, query: Query) -> list[sa.ColumnElement[Any]]:
    """The grouping columns of `query`, labelled `g0`, `g1`, ..."""
    return [columns[dim].label(f"g{i}") for i, dim in enumerate(query.by)]


def scoped(
    stmt: sa.Select[Any], columns: Columns, query: Query, time: sa.ColumnElement[Any]
) -> sa.Select[Any]:
    """`stmt` restricted to the query's time range on `time`, to its filters, and to live runs.

    Metrics describe live traffic: when `time`'s table is keyed by run (runs, spans,
    approvals), rows of shadow and replay runs (`earned.rehearsals`) are left out.
    """
    stmt = stmt.where(time >= query.since, time < query.until)
    table = getattr(time, "table", None)
    if isinstance(table, sa.Table) and "run_id" in table.c:
        run_id = table.c.run_id
        live = live_runs(run_id)
        stmt = stmt.where(sa.or_(run_id.is_(None), live) if run_id.nullable else live)
    for dim, value in query.where:
        stmt = stmt.where(columns[dim] == value)
    return stmt


def key_of(row: Any, query: Query) -> GroupKey:
    """The group key of a result row selected with `group_columns`."""
    return tuple(row[f"g{i}"] for i in range(len(query.by)))


def percentiles(
    conn: sa.Connection,
    stmt: sa.Select[Any],
    value: sa.ColumnElement[Any],
    columns: Columns,
    query: Query,
) -> dict[GroupKey, tuple[int, dict[int, float]]]:
    """Per group: how many values, and the nearest-rank p50/p95/p99 of `value`.

    `stmt` is a scoped select (FROM and WHERE) whose columns are replaced here.
    """
    groups = group_columns(columns, query)
    partition = [columns[dim] for dim in query.by] or None
    ranked = (
        stmt.with_only_columns(
            *groups,
            value.label("v"),
            sa.func.row_number().over(partition_by=partition, order_by=value).label("rn"),
            sa.func.count().over(partition_by=partition).label("n"),
        )
        .where(value.is_not(None))
        .subquery()
    )
    wanted = [(p * ranked.c.n + 99) // 100 for p in PERCENTILES]
    rows = conn.execute(
        sa.select(ranked).where(sa.or_(*(ranked.c.rn == rank for rank in wanted)))
    ).mappings()
    out: dict[GroupKey, tuple[int, dict[int, float]]] = {}
    for row in rows:
        key = key_of(row, query)
        n = int(row["n"])
        found = out.setdefault(key, (n, {}))[1]
        for p in PERCENTILES:
            if int(row["rn"]) == (p * n + 99) // 100:
                found[p] = float(row["v"])
    return out


def day_slice(dialect: str, until: float, time: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Which 24-hour slice before `until` a time falls in (0 is the newest)."""
    age = (sa.literal(until, sa.Double()) - time) / 86400.0
    if dialect == "postgresql":
        return sa.cast(sa.func.floor(age), sa.Integer)
    return sa.cast(age, sa.Integer)  # SQLite truncates toward zero: floor for ages >= 0


def percentile_measures(
    found: Mapping[GroupKey, tuple[int, dict[int, float]]], names: Sequence[str]
) -> Measures:
    """Turn `percentiles()` output into measures named by `names` (one per percentile)."""
    out: Measures = {}
    for key, (n, values) in found.items():
        out[key] = {
            name: Measure(value=values.get(p), samples=n)
            for name, p in zip(names, PERCENTILES, strict=True)
        }
    return out
