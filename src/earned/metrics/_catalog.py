"""Every metric earned computes: its family, unit, meaning, source query and dimensions.

The families follow seed 001's four tables (tool, agent, cost, user), with seed 002's
additions (tool error rate, retry rate, latency p95, cost per successful task) placed in
the family they belong to. Registries are data: a metric is a row here, and its source is
a function in one of the `_*_sources` modules that computes several metrics in one query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

from earned.metrics import _run_sources, _tool_sources, _user_sources
from earned.metrics._sql import Measures
from earned.metrics._window import DIMENSIONS, Dimension, Query

__all__ = ["FAMILIES", "METRICS", "SOURCES", "Family", "MetricDef", "Source", "Unit"]

Family = Literal["tool", "agent", "cost", "user"]
Unit = Literal["ratio", "seconds", "count", "usd", "tokens", "turns"]
FAMILIES: tuple[Family, ...] = ("tool", "agent", "cost", "user")

_RUN_DIMS: tuple[Dimension, ...] = ("agent", "capability", "tenant")


@dataclass(frozen=True, kw_only=True)
class Source:
    """One query that computes several metrics, and the dimensions it can cut them by."""

    name: str
    compute: Callable[[sa.Connection, Query], Measures]
    dimensions: tuple[Dimension, ...]
    #: Which table it reads (for documentation and error messages).
    reads: str


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(name="tool_counts", compute=_tool_sources.tool_counts, dimensions=DIMENSIONS,
               reads="tool-call spans"),
        Source(name="tool_latency", compute=_tool_sources.tool_latency, dimensions=DIMENSIONS,
               reads="tool-call spans"),
        Source(name="tool_calls_per_run", compute=_tool_sources.tool_calls_per_run,
               dimensions=DIMENSIONS, reads="tool-call spans"),
        Source(name="tool_errors", compute=_tool_sources.tool_errors, dimensions=DIMENSIONS,
               reads="tool-call spans"),
        Source(name="run_counts", compute=_run_sources.run_counts, dimensions=_RUN_DIMS,
               reads="runs"),
        Source(name="run_latency", compute=_run_sources.run_latency, dimensions=_RUN_DIMS,
               reads="runs"),
        Source(name="user_cost", compute=_run_sources.user_cost, dimensions=_RUN_DIMS,
               reads="runs"),
        Source(name="approvals", compute=_run_sources.approval_counts, dimensions=DIMENSIONS,
               reads="decided approvals"),
        Source(name="sessions", compute=_user_sources.session_counts, dimensions=_RUN_DIMS,
               reads="reported sessions"),
        Source(name="feedback", compute=_user_sources.feedback_counts, dimensions=_RUN_DIMS,
               reads="reported feedback"),
        Source(name="active_users", compute=_user_sources.active_users, dimensions=_RUN_DIMS,
               reads="runs and reported sessions"),
        Source(name="retention", compute=_user_sources.user_retention, dimensions=_RUN_DIMS,
               reads="runs and reported sessions"),
    )
}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class MetricDef:
    """What one metric means and where it comes from."""

    name: str
    family: Family
    unit: Unit
    source: str
    description: str
    #: The Prometheus family it is exported in, and its extra label (quantile) if any.
    prometheus: str
    quantile: str | None = None

    @property
    def dimensions(self) -> tuple[Dimension, ...]:
        """What the metric can be filtered and grouped by."""
        return SOURCES[self.source].dimensions


def _m(
    name: str,
    family: Family,
    unit: Unit,
    source: str,
    description: str,
    prometheus: str,
    quantile: str | None = None,
) -> MetricDef:
    return MetricDef(
        name=name,
        family=family,
        unit=unit,
        source=source,
        description=description,
        prometheus=prometheus,
        quantile=quantile,
    )


METRICS: dict[str, MetricDef] = {
    m.name: m
    for m in (
        # -- tool (seed 001 tool metrics; seed 002 error and retry rates)
        _m("tool_calls", "tool", "count", "tool_counts", "tool calls", "earned_tool_calls"),
        _m("tool_success_rate", "tool", "ratio", "tool_counts",
           "share of calls that reached the tool and did not fail", "earned_tool_success_ratio"),
        _m("tool_error_rate", "tool", "ratio", "tool_counts",
           "share of calls that returned no result, for any reason", "earned_tool_error_ratio"),
        _m("tool_retry_rate", "tool", "ratio", "tool_counts",
           "share of calls that reached the tool and needed a retry", "earned_tool_retry_ratio"),
        _m("tool_latency_p50", "tool", "seconds", "tool_latency", "tool call latency, median",
           "earned_tool_latency_seconds", "0.5"),
        _m("tool_latency_p95", "tool", "seconds", "tool_latency",
           "tool call latency, 95th percentile", "earned_tool_latency_seconds", "0.95"),
        _m("tool_latency_p99", "tool", "seconds", "tool_latency",
           "tool call latency, 99th percentile", "earned_tool_latency_seconds", "0.99"),
        _m("tool_calls_per_run_avg", "tool", "count", "tool_calls_per_run",
           "tool calls per run, mean", "earned_tool_calls_per_run_avg"),
        _m("tool_calls_per_run_max", "tool", "count", "tool_calls_per_run",
           "most tool calls in one run (looping)", "earned_tool_calls_per_run_max"),
        _m("new_error_types", "tool", "count", "tool_errors",
           "error types seen in the window and never before it", "earned_tool_new_error_types"),
        # -- agent (seed 001 agent metrics; seed 002 latency p95)
        _m("runs", "agent", "count", "run_counts", "runs started", "earned_runs"),
        _m("task_completion_rate", "agent", "ratio", "run_counts",
           "share of finished runs that completed", "earned_task_completion_ratio"),
        _m("turns_to_completion_avg", "agent", "turns", "run_counts",
           "model calls per completed run, mean", "earned_turns_to_completion_avg"),
        _m("approval_decisions", "agent", "count", "approvals", "human approval decisions",
           "earned_approval_decisions"),
        _m("approval_rate", "agent", "ratio", "approvals",
           "approved / (approved + rejected)", "earned_approval_ratio"),
        _m("fallback_rate", "agent", "ratio", "run_counts",
           "share of finished runs that escalated, were denied or used a fallback",
           "earned_fallback_ratio"),
        _m("escalation_rate", "agent", "ratio", "run_counts",
           "share of finished runs handed to a human", "earned_escalation_ratio"),
        _m("run_latency_p50", "agent", "seconds", "run_latency", "run duration, median",
           "earned_run_latency_seconds", "0.5"),
        _m("run_latency_p95", "agent", "seconds", "run_latency",
           "run duration, 95th percentile", "earned_run_latency_seconds", "0.95"),
        _m("run_latency_p99", "agent", "seconds", "run_latency",
           "run duration, 99th percentile", "earned_run_latency_seconds", "0.99"),
        # -- cost (seed 001 cost metrics; seed 002 cost per successful task)
        _m("cost_total", "cost", "usd", "run_counts", "model spend", "earned_cost_usd"),
        _m("cost_per_run_avg", "cost", "usd", "run_counts", "model spend per finished run, mean",
           "earned_cost_per_run_usd_avg"),
        _m("cost_per_run_max", "cost", "usd", "run_counts", "model spend of the costliest run",
           "earned_cost_per_run_usd_max"),
        _m("cost_per_successful_task", "cost", "usd", "run_counts",
           "model spend of finished runs / completed runs", "earned_cost_per_successful_task_usd"),
        _m("cost_per_user_day_max", "cost", "usd", "user_cost",
           "highest spend of one user per day", "earned_cost_per_user_day_usd_max"),
        _m("input_tokens_avg", "cost", "tokens", "run_counts", "input tokens per run, mean",
           "earned_input_tokens_avg"),
        _m("output_tokens_avg", "cost", "tokens", "run_counts", "output tokens per run, mean",
           "earned_output_tokens_avg"),
        _m("tool_api_cost", "cost", "usd", "tool_counts", "external API spend tools reported",
           "earned_tool_api_cost_usd"),
        # -- user (seed 001 user metrics)
        _m("active_users", "user", "count", "active_users", "distinct active users",
           "earned_active_users"),
        _m("daily_active_users", "user", "count", "active_users",
           "distinct active users per day, mean", "earned_daily_active_users"),
        _m("sessions", "user", "count", "sessions", "sessions started", "earned_sessions"),
        _m("session_turns_avg", "user", "turns", "sessions", "turns per session, mean",
           "earned_session_turns_avg"),
        _m("user_retention", "user", "ratio", "retention",
           "share of the previous window's users active again", "earned_user_retention_ratio"),
        _m("feedback", "user", "count", "feedback", "thumbs up and down", "earned_feedback"),
        _m("negative_feedback_rate", "user", "ratio", "feedback", "thumbs down / all thumbs",
           "earned_negative_feedback_ratio"),
    )
}  # fmt: skip
