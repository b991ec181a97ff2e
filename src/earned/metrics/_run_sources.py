"""Agent and cost metrics from stored runs, and the approval rate from decided approvals.

Runs are counted in the window they *started* in (`created_at`); outcome, cost and token
metrics use the runs among them that have finished (a run's usage is written when it ends).
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
from earned.metrics._window import Query
from earned.runtime._state import FINAL_STATUSES
from earned.store._tables import approvals, runs

__all__ = [
    "APPROVED_DECISIONS",
    "REJECTED_DECISIONS",
    "approval_counts",
    "run_counts",
    "run_latency",
    "user_cost",
]

#: Approval decisions that let the call run (as recorded in `earned_approvals.decision`).
APPROVED_DECISIONS = ("approve", "approve_edited", "approved")
#: Decisions that refused it. Expired requests are not a human decision and are not counted.
REJECTED_DECISIONS = ("reject", "rejected")

_FINAL = sorted(FINAL_STATUSES)


def _columns() -> Columns:
    return {"agent": runs.c.agent, "capability": runs.c.capability, "tenant": runs.c.tenant}


def _base(query: Query) -> sa.Select[Any]:
    stmt = sa.select(sa.literal(1)).select_from(runs)
    return scoped(stmt, _columns(), query, runs.c.created_at)


def run_counts(conn: sa.Connection, query: Query) -> Measures:
    """Completion, escalation and fallback rates, turns, cost and tokens per run."""
    status, count = runs.c.status, sa.func.count
    finished = status.in_(_FINAL)
    gave_up = sa.or_(status.in_(("escalated", "denied")), runs.c.fallback.is_not(None))
    groups = group_columns(_columns(), query)
    stmt = (
        _base(query)
        .with_only_columns(
            *groups,
            count().label("runs"),
            count().filter(finished).label("finished"),
            count().filter(status == "completed").label("completed"),
            count().filter(status == "escalated").label("escalated"),
            count().filter(finished, gave_up).label("fell_back"),
            sa.func.sum(runs.c.requests).filter(status == "completed").label("turns"),
            sa.func.sum(runs.c.cost).label("cost"),
            sa.func.sum(runs.c.cost).filter(finished).label("cost_finished"),
            sa.func.max(runs.c.cost).filter(finished).label("cost_max"),
            sa.func.sum(runs.c.input_tokens).filter(finished).label("input_tokens"),
            sa.func.sum(runs.c.output_tokens).filter(finished).label("output_tokens"),
        )
        .group_by(*(c.element for c in groups))
    )
    out: Measures = {}
    for row in conn.execute(stmt).mappings():
        out[key_of(row, query)] = _run_measures(row)
    return out


def _run_measures(row: Any) -> dict[str, Measure]:
    started, done, completed = int(row["runs"]), int(row["finished"]), int(row["completed"])
    cost = float(row["cost"] or 0.0)
    spent = float(row["cost_finished"] or 0.0)
    return {
        "runs": Measure(value=float(started), samples=started),
        "task_completion_rate": Measure(value=ratio(completed, done), samples=done),
        "escalation_rate": Measure(value=ratio(row["escalated"], done), samples=done),
        "fallback_rate": Measure(value=ratio(row["fell_back"], done), samples=done),
        "turns_to_completion_avg": Measure(value=ratio(row["turns"], completed), samples=completed),
        "cost_total": Measure(value=cost, samples=started),
        "cost_per_run_avg": Measure(value=ratio(spent, done), samples=done),
        "cost_per_run_max": Measure(
            value=None if row["cost_max"] is None else float(row["cost_max"]), samples=done
        ),
        "cost_per_successful_task": Measure(value=ratio(spent, completed), samples=completed),
        "input_tokens_avg": Measure(value=ratio(row["input_tokens"], done), samples=done),
        "output_tokens_avg": Measure(value=ratio(row["output_tokens"], done), samples=done),
    }


def run_latency(conn: sa.Connection, query: Query) -> Measures:
    """run_latency_p50/p95/p99: seconds from a run's start to its end, over finished runs."""
    stmt = _base(query).where(runs.c.status.in_(_FINAL))
    elapsed = runs.c.ended_at - sa.func.coalesce(runs.c.started_at, runs.c.created_at)
    found = percentiles(conn, stmt, elapsed, _columns(), query)
    return percentile_measures(found, ("run_latency_p50", "run_latency_p95", "run_latency_p99"))


def user_cost(conn: sa.Connection, query: Query) -> Measures:
    """cost_per_user_day_max: the highest spend of one user, per day of the window.

    A user's spend over the window is divided by the window's length in days, counting a
    window shorter than a day as one day (its spend is then a lower bound of that day's).
    Runs without a user are not counted.
    """
    groups = group_columns(_columns(), query)
    per_user = (
        _base(query)
        .where(runs.c.user_id.is_not(None))
        .with_only_columns(*groups, runs.c.user_id, sa.func.sum(runs.c.cost).label("spend"))
        .group_by(*(c.element for c in groups), runs.c.user_id)
        .subquery()
    )
    outer = [per_user.c[f"g{i}"] for i in range(len(query.by))]
    partition = outer or None
    ranked = sa.select(
        *outer,
        per_user.c.user_id,
        per_user.c.spend,
        sa.func.row_number()
        .over(partition_by=partition, order_by=(per_user.c.spend.desc(), per_user.c.user_id))
        .label("rn"),
        sa.func.count().over(partition_by=partition).label("users"),
    ).subquery()
    days = max(1.0, query.seconds / 86400)
    out: Measures = {}
    for row in conn.execute(sa.select(ranked).where(ranked.c.rn == 1)).mappings():
        out[key_of(row, query)] = {
            "cost_per_user_day_max": Measure(
                value=float(row["spend"] or 0.0) / days,
                samples=int(row["users"]),
                details={"user": row["user_id"]},
            )
        }
    return out


def approval_counts(conn: sa.Connection, query: Query) -> Measures:
    """approval_decisions and approval_rate: approved / (approved + rejected), by decision time."""
    c = approvals.c
    columns: Columns = {
        "agent": c.agent,
        "capability": c.capability,
        "tool": c.tool,
        "tenant": c.tenant,
    }
    groups = group_columns(columns, query)
    approved = c.decision.in_(APPROVED_DECISIONS)
    decided = sa.or_(approved, c.decision.in_(REJECTED_DECISIONS))
    stmt = scoped(
        sa.select(
            *groups,
            sa.func.count().filter(decided).label("decisions"),
            sa.func.count().filter(approved).label("approved"),
        ).select_from(approvals),
        columns,
        query,
        c.decided_at,
    ).group_by(*(g.element for g in groups))
    out: Measures = {}
    for row in conn.execute(stmt).mappings():
        n = int(row["decisions"])
        out[key_of(row, query)] = {
            "approval_decisions": Measure(value=float(n), samples=n),
            "approval_rate": Measure(value=ratio(row["approved"], n), samples=n),
        }
    return out
