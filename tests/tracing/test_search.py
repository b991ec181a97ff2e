"""Trace search: every filter, every order, paging, and the one-query "worst failures" list.

Runs on a SQLite file and on PostgreSQL (the `db` fixture), over runs written by the
real stores.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from earned.errors import RunNotFoundError, UserError
from earned.store import Database
from earned.tracing import TraceQuery, TraceStore
from earned.tracing._search import search_statement
from tests.tracing.seed import DAY, NOW, seed_run

WEEK_AGO = NOW - 7 * DAY


@pytest.fixture
def traces(db: Database) -> TraceStore:
    seed_run(db, "r01", age_days=1, cost=0.002, seconds=2)
    seed_run(
        db,
        "r02",
        status="failed",
        age_days=2,
        cost=0.50,
        seconds=5,
        tool="submit_refund",
        error_type="ToolCrashed",
    )
    seed_run(
        db,
        "r03",
        status="escalated",
        age_days=3,
        cost=1.20,
        seconds=8,
        tool="submit_refund",
        escalation_kind="BudgetExceeded",
        user="u2",
        tenant="globex",
    )
    seed_run(
        db, "r04", status="failed", age_days=6, cost=0.05, seconds=1, error_type="SemanticToolError"
    )
    seed_run(
        db,
        "r05",
        status="escalated",
        age_days=6.5,
        cost=0.30,
        seconds=3,
        escalation_kind="Escalate",
        tool_error="denied_by_policy",
    )
    seed_run(
        db, "r06", status="failed", age_days=10, cost=9.0, seconds=20, error_type="ToolCrashed"
    )
    seed_run(
        db,
        "r07",
        status="denied",
        age_days=1,
        cost=0.0,
        seconds=0.5,
        agent="triage",
        capability="classify",
    )
    seed_run(db, "r08", age_days=0.5, cost=0.0, agent="triage", tool=None, capability="classify")
    seed_run(
        db,
        "r09",
        status="failed",
        age_days=4,
        cost=0.8,
        seconds=4,
        agent="triage",
        error_type="ModelHTTPError",
    )
    seed_run(
        db,
        "r10",
        status="escalated",
        age_days=5,
        cost=0.9,
        seconds=6,
        escalation_kind="LoopDetected",
    )
    seed_run(db, "r11", age_days=2, cost=0.15, seconds=2.5)
    seed_run(db, "r12", status="running", age_days=0.1, finished=False)
    return TraceStore(db)


def ids(traces: TraceStore, **filters: object) -> list[str]:
    return [s.run_id for s in traces.search(TraceQuery(**filters))]  # type: ignore[arg-type]


def test_the_five_most_expensive_failures_of_last_week(traces: TraceStore) -> None:
    worst = traces.search(
        TraceQuery(since=WEEK_AGO, status=("failed", "escalated"), sort="cost", limit=5)
    )
    assert [(s.run_id, s.cost, s.status) for s in worst] == [
        ("r03", 1.20, "escalated"),
        ("r10", 0.9, "escalated"),
        ("r09", 0.8, "failed"),
        ("r02", 0.50, "failed"),
        ("r05", 0.30, "escalated"),
    ]
    assert [s.error_type for s in worst] == [
        "BudgetExceeded",
        "LoopDetected",
        "ModelHTTPError",
        "ToolCrashed",
        "Escalate",
    ]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL scans tiny tables
def test_the_worst_failures_query_reads_the_status_and_time_index(traces: TraceStore) -> None:
    stmt = search_statement(
        TraceQuery(since=WEEK_AGO, status=("failed", "escalated"), sort="cost", limit=5)
    )
    compiled = stmt.compile(traces.db.engine, compile_kwargs={"literal_binds": True})
    with traces.db.engine.connect() as conn:
        plan = " ".join(
            str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
        )
    assert "ix_earned_runs_status_created_at" in plan
    assert "SCAN earned_runs" not in plan


@pytest.mark.parametrize(
    ("sort", "nulls_last"), [("time", False), ("cost", False), ("latency", True)]
)
def test_only_latency_is_sorted_nulls_last(sort: str, nulls_last: bool) -> None:
    # created_at and cost are never NULL: NULLS LAST would change no result but stop
    # PostgreSQL from reading a DESC order off ix_earned_runs_created_at or _cost
    stmt = search_statement(TraceQuery(sort=sort))  # type: ignore[arg-type]
    sql = str(stmt.compile(dialect=postgresql.dialect()))
    assert ("NULLS LAST" in sql) is nulls_last


def test_newest_first_by_default_and_every_run_is_listed(traces: TraceStore) -> None:
    assert ids(traces) == [
        "r12",
        "r08",
        "r07",
        "r01",
        "r11",
        "r02",
        "r03",
        "r09",
        "r10",
        "r04",
        "r05",
        "r06",
    ]
    assert traces.count() == 12


def test_time_range(traces: TraceStore) -> None:
    assert ids(traces, since=NOW - 1.5 * DAY, until=NOW - 0.4 * DAY) == ["r08", "r07", "r01"]
    assert traces.count(TraceQuery(since=WEEK_AGO)) == 11


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"agent": "triage"}, ["r08", "r07", "r09"]),
        ({"capability": "classify"}, ["r08", "r07"]),
        ({"user": "u2"}, ["r03"]),
        ({"tenant": "globex"}, ["r03"]),
        ({"tool": "submit_refund"}, ["r02", "r03"]),
        ({"status": ("denied", "running")}, ["r12", "r07"]),
        ({"error_type": ("ToolCrashed",)}, ["r02", "r06"]),
        ({"error_type": ("BudgetExceeded", "LoopDetected")}, ["r03", "r10"]),
        ({"error_type": ("denied_by_policy",)}, ["r05"]),
        ({"agent": "refunds", "status": ("failed",), "since": WEEK_AGO}, ["r02", "r04"]),
    ],
)
def test_filters(traces: TraceStore, filters: dict[str, object], expected: list[str]) -> None:
    assert ids(traces, **filters) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"min_cost": 0.9}, ["r03", "r10", "r06"]),
        ({"max_cost": 0.002}, ["r12", "r08", "r07", "r01"]),
        ({"min_cost": 0.1, "max_cost": 0.5}, ["r11", "r02", "r05"]),
        ({"cost_bucket": "free"}, ["r12", "r08", "r07"]),
        ({"cost_bucket": "low"}, ["r01"]),
        ({"cost_bucket": "medium"}, ["r04"]),
        ({"cost_bucket": "high"}, ["r11", "r02", "r09", "r10", "r05"]),
        ({"cost_bucket": "very_high"}, ["r03", "r06"]),
        ({"cost_bucket": "high", "min_cost": 0.5}, ["r02", "r09", "r10"]),
    ],
)
def test_cost_filters_and_buckets(
    traces: TraceStore, filters: dict[str, object], expected: list[str]
) -> None:
    assert ids(traces, **filters) == expected


def test_latency_filters_skip_runs_still_running(traces: TraceStore) -> None:
    assert ids(traces, min_duration=6.0) == ["r03", "r10", "r06"]
    assert ids(traces, max_duration=1.0) == ["r07", "r04"]


def test_sort_by_cost_latency_and_time_both_ways(traces: TraceStore) -> None:
    assert ids(traces, sort="cost", limit=3) == ["r06", "r03", "r10"]
    assert ids(traces, sort="latency", limit=3) == ["r06", "r03", "r10"]
    slowest_last = ids(traces, sort="latency", ascending=True)
    assert slowest_last[:2] == ["r07", "r04"]
    assert slowest_last[-1] == "r12"  # still running: no latency, listed last either way
    assert ids(traces, sort="latency")[-1] == "r12"
    assert ids(traces, sort="time", ascending=True, limit=2) == ["r06", "r05"]


def test_paging(traces: TraceStore) -> None:
    first = ids(traces, sort="cost", limit=4)
    second = ids(traces, sort="cost", limit=4, offset=4)
    assert len(set(first) | set(second)) == 8
    assert first + second == ids(traces, sort="cost", limit=8)


def test_a_summary_carries_the_day_one_fields(traces: TraceStore) -> None:
    (summary,) = traces.search(TraceQuery(user="u2"))
    data = summary.to_dict()
    assert data["duration_ms"] == pytest.approx(8000.0)
    assert (data["input_tokens"], data["output_tokens"], data["cost"]) == (100, 20, 1.2)
    assert (data["tenant"], data["user"], data["status"]) == ("globex", "u2", "escalated")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"status": ("exploded",)}, "unknown run status 'exploded'"),
        ({"sort": "price"}, "cannot sort traces by 'price'"),
        ({"cost_bucket": "cheap"}, "unknown cost bucket 'cheap'"),
        ({"limit": 0}, "1 <= limit <= 1000"),
        ({"min_cost": -1.0}, "min_cost must be a finite number >= 0"),
        ({"since": 10.0, "until": 5.0}, "the time range is empty"),
    ],
)
def test_bad_queries_say_what_to_change(bad: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        TraceQuery(**bad)  # type: ignore[arg-type]


def test_a_missing_trace_is_reported_with_the_way_to_list_them(db: Database) -> None:
    with pytest.raises(RunNotFoundError, match="earned traces list"):
        TraceStore(db).get("run_nope")


def test_search_on_a_database_without_the_trace_indexes_is_refused(empty_db: Database) -> None:
    empty_db.upgrade()
    with empty_db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE earned_alembic_version SET version_num = '0002'"))
    from earned.errors import ConfigError

    with pytest.raises(ConfigError, match="needs migration"):
        TraceStore(Database(empty_db.url))
