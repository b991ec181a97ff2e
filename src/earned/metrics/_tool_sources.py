"""Tool metrics from tool-call spans: success, errors, retries, latency, calls per run, cost.

A tool call is one `tool_call` span. Calls that *reached the tool's code* are the ones with
`attempts >= 1`: cached answers, policy denials, rate-limited calls and calls the model got
wrong (invalid arguments, unknown tool, repeated call) never ran the tool, so they count in
`tool_calls` and `tool_error_rate` but not in the tool's health (success, latency, retries).

A tool reports what its external API cost through its span: the span's `cost` attribute
(which fills the span's `cost` column), or a `tool_cost` field the tool returns and logs
(`@tool(log=["tool_cost"])`, recorded under the span's `logged` attribute).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from earned.metrics._sql import (
    Columns,
    Measure,
    Measures,
    group_columns,
    key_of,
    percentile_measures,
    percentiles,
    ratio,
    scoped,
)
from earned.metrics._window import GroupKey, Query
from earned.store._tables import runs, spans

__all__ = [
    "tool_calls_per_run",
    "tool_counts",
    "tool_errors",
    "tool_latency",
]

_RUN_DIMS = frozenset({"agent", "capability", "tenant"})


def _columns() -> Columns:
    return {
        "tool": spans.c.tool,
        "agent": runs.c.agent,
        "capability": runs.c.capability,
        "tenant": runs.c.tenant,
    }


def _base(query: Query) -> sa.Select[Any]:
    """Tool-call spans that started in the window (joined to their runs when needed)."""
    source: sa.FromClause = spans
    if query.dimensions & _RUN_DIMS:
        source = spans.outerjoin(runs, runs.c.run_id == spans.c.run_id)
    stmt = sa.select(sa.literal(1)).select_from(source).where(spans.c.kind == "tool_call")
    return scoped(stmt, _columns(), query, spans.c.started_at)


def _attempts() -> sa.ColumnElement[Any]:
    return spans.c.attributes["attempts"].as_integer()


def tool_cost_expression() -> sa.ColumnElement[Any]:
    """The API cost a tool call reported: the span's cost, else its logged `tool_cost`."""
    logged = spans.c.attributes[("logged", "tool_cost")].as_float()
    return sa.func.coalesce(spans.c.cost, logged)


def tool_counts(conn: sa.Connection, query: Query) -> Measures:
    """tool_calls, tool_success_rate, tool_error_rate, tool_retry_rate, tool_api_cost."""
    status, attempts = spans.c.status, _attempts()
    count = sa.func.count
    stmt = _base(query).with_only_columns(
        *group_columns(_columns(), query),
        count().label("calls"),
        count().filter(status == "ok").label("ok"),
        count().filter(attempts >= 1).label("invoked"),
        count().filter(attempts >= 1, status == "error").label("failed"),
        count().filter(attempts > 1).label("retried"),
        sa.func.sum(tool_cost_expression()).label("cost"),
    )
    stmt = stmt.group_by(*(c.element for c in group_columns(_columns(), query)))
    out: Measures = {}
    for row in conn.execute(stmt).mappings():
        calls, invoked = int(row["calls"]), int(row["invoked"])
        out[key_of(row, query)] = {
            "tool_calls": Measure(value=float(calls), samples=calls),
            "tool_success_rate": Measure(
                value=ratio(invoked - int(row["failed"]), invoked), samples=invoked
            ),
            "tool_error_rate": Measure(value=ratio(calls - int(row["ok"]), calls), samples=calls),
            "tool_retry_rate": Measure(value=ratio(int(row["retried"]), invoked), samples=invoked),
            "tool_api_cost": Measure(value=float(row["cost"] or 0.0), samples=calls),
        }
    return out


def tool_latency(conn: sa.Connection, query: Query) -> Measures:
    """tool_latency_p50/p95/p99 in seconds, over calls that reached the tool's code."""
    stmt = _base(query).where(_attempts() >= 1)
    found = percentiles(conn, stmt, spans.c.duration_ms / 1000.0, _columns(), query)
    return percentile_measures(found, ("tool_latency_p50", "tool_latency_p95", "tool_latency_p99"))


def tool_calls_per_run(conn: sa.Connection, query: Query) -> Measures:
    """tool_calls_per_run_avg and _max: how many tool calls each run made in the window.

    The details of `_max` name the run with the most calls (the trace to open first).
    """
    groups = group_columns(_columns(), query)
    per_run = (
        _base(query)
        .with_only_columns(*groups, spans.c.run_id, sa.func.count().label("n"))
        .group_by(*(c.element for c in groups), spans.c.run_id)
        .subquery()
    )
    outer = [per_run.c[f"g{i}"] for i in range(len(query.by))]
    partition = outer or None
    ranked = sa.select(
        *outer,
        per_run.c.run_id,
        per_run.c.n,
        sa.func.row_number()
        .over(partition_by=partition, order_by=(per_run.c.n.desc(), per_run.c.run_id))
        .label("rn"),
        sa.func.count().over(partition_by=partition).label("runs"),
        sa.func.sum(per_run.c.n).over(partition_by=partition).label("calls"),
    ).subquery()
    out: Measures = {}
    for row in conn.execute(sa.select(ranked).where(ranked.c.rn == 1)).mappings():
        n = int(row["runs"])
        out[key_of(row, query)] = {
            "tool_calls_per_run_avg": Measure(value=ratio(row["calls"], n), samples=n),
            "tool_calls_per_run_max": Measure(
                value=float(row["n"]), samples=n, details={"run_id": row["run_id"]}
            ),
        }
    return out


def tool_errors(conn: sa.Connection, query: Query) -> Measures:
    """new_error_types, with the error distribution of the window in its details.

    An error type is new for a group when no tool call of that group recorded it before
    the window started.
    """
    groups = group_columns(_columns(), query)
    stmt = (
        _base(query)
        .with_only_columns(
            *groups, spans.c.error_type.label("error_type"), sa.func.count().label("n")
        )
        .group_by(*(c.element for c in groups), spans.c.error_type)
    )
    calls: dict[GroupKey, int] = {}
    errors: dict[GroupKey, dict[str, int]] = {}
    for row in conn.execute(stmt).mappings():
        key = key_of(row, query)
        n = int(row["n"])
        calls[key] = calls.get(key, 0) + n
        if row["error_type"] is not None:
            errors.setdefault(key, {})[str(row["error_type"])] = n
    seen = _seen_before(conn, query, {t for found in errors.values() for t in found})
    out: Measures = {}
    for key, n in calls.items():
        found = errors.get(key, {})
        new = sorted(t for t in found if (key, t) not in seen)
        out[key] = {
            "new_error_types": Measure(
                value=float(len(new)),
                samples=n,
                details={"new": new, "errors": dict(sorted(found.items()))},
            )
        }
    return out


def _seen_before(conn: sa.Connection, query: Query, types: set[str]) -> set[tuple[GroupKey, str]]:
    """(group, error type) pairs recorded before the window, among `types`."""
    if not types:
        return set()
    source: sa.FromClause = spans
    if query.dimensions & _RUN_DIMS:
        source = spans.outerjoin(runs, runs.c.run_id == spans.c.run_id)
    groups = group_columns(_columns(), query)
    stmt = (
        sa.select(*groups, spans.c.error_type.label("error_type"))
        .select_from(source)
        .where(
            # `kind || ''` keeps the planner on the error_type index: the (kind, started_at)
            # index would scan every span before the window to prove a type is new.
            spans.c.kind.concat("") == "tool_call",
            spans.c.error_type.in_(sorted(types)),
            spans.c.started_at < query.since,
        )
        .distinct()
    )
    for dim, value in query.where:
        stmt = stmt.where(_columns()[dim] == value)
    return {(key_of(row, query), str(row["error_type"])) for row in conn.execute(stmt).mappings()}
