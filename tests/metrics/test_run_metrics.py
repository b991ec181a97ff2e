"""Agent and cost metrics from runs, and the approval rate, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from earned.metrics import MetricsReader
from earned.store import Database
from earned.store._tables import approvals
from tests.metrics.conftest import Clock
from tests.metrics.data import DAY, NOW, add_approval, add_run, add_spans, build_world, tool_call
from tests.metrics.test_tool_metrics import value


@pytest.fixture
def reader(db: Database, clock: Clock) -> MetricsReader:
    build_world(db)
    return MetricsReader(db, clock=clock)


def test_task_completion_counts_finished_runs_only(reader: MetricsReader) -> None:
    refunds = reader.compute(window="1h", where={"agent": "refunds"})
    assert value(refunds, "runs") == 5
    assert value(refunds, "task_completion_rate") == pytest.approx(3 / 5)
    overall = reader.compute(window="1h")
    assert value(overall, "runs") == 7  # t2 is still running: counted as started, not finished
    assert value(overall, "task_completion_rate") == pytest.approx(4 / 6)
    assert overall.get("task_completion_rate").samples == 6  # type: ignore[union-attr]


def test_fallback_rate_counts_escalations_denials_and_fallback_paths(
    reader: MetricsReader,
) -> None:
    refunds = reader.compute(window="1h", where={"agent": "refunds"})
    # r3 escalated, r4 was denied, r5 completed on a fallback model: 3 of 5.
    assert value(refunds, "fallback_rate") == pytest.approx(3 / 5)
    assert value(refunds, "escalation_rate") == pytest.approx(1 / 5)


def test_turns_to_completion_are_model_calls_of_completed_runs(reader: MetricsReader) -> None:
    refunds = reader.compute(["turns_to_completion_avg"], window="1h", where={"agent": "refunds"})
    assert value(refunds, "turns_to_completion_avg") == pytest.approx((2 + 4 + 2) / 3)


def test_run_latency_percentiles(reader: MetricsReader) -> None:
    refunds = reader.compute(window="1h", where={"agent": "refunds"})
    # durations 2, 4, 10, 1, 3 seconds -> nearest ranks 3, 5, 5 of [1, 2, 3, 4, 10]
    assert value(refunds, "run_latency_p50") == pytest.approx(3)
    assert value(refunds, "run_latency_p95") == pytest.approx(10)
    assert value(refunds, "run_latency_p99") == pytest.approx(10)


def test_cost_metrics(reader: MetricsReader) -> None:
    refunds = reader.compute(window="1h", where={"agent": "refunds"})
    assert value(refunds, "cost_total") == pytest.approx(0.65)
    assert value(refunds, "cost_per_run_avg") == pytest.approx(0.13)
    assert value(refunds, "cost_per_run_max") == pytest.approx(0.30)
    assert value(refunds, "cost_per_successful_task") == pytest.approx(0.65 / 3)
    assert value(refunds, "input_tokens_avg") == pytest.approx(1300)
    assert value(refunds, "output_tokens_avg") == pytest.approx(130)
    overall = reader.compute(["cost_total"], window="2h")
    assert value(overall, "cost_total") == pytest.approx(0.66 + 9.99)


def test_cost_per_user_per_day_is_the_top_spender(reader: MetricsReader) -> None:
    last_hour = reader.compute(["cost_per_user_day_max"], window="1h").get("cost_per_user_day_max")
    assert last_hour is not None
    # u1: 0.10 + 0.30; u2: 0.20; u3: 0.05; u4: 0.01. A window under a day counts as one day.
    assert (last_hour.value, last_hour.samples) == (pytest.approx(0.40), 4)
    assert last_hour.details == {"user": "u1"}


def test_cost_per_user_per_day_divides_longer_windows_by_their_days(
    db: Database, clock: Clock
) -> None:
    for day in range(7):
        add_run(db, f"d{day}", at=NOW - day * DAY - 10, user="heavy", cost=7.0)
    add_run(db, "light", at=NOW - 10, user="light", cost=1.0)
    report = MetricsReader(db, clock=clock).compute(["cost_per_user_day_max"], window="7d")
    found = report.get("cost_per_user_day_max")
    assert found is not None
    assert (found.value, found.details) == (pytest.approx(7.0), {"user": "heavy"})


def test_metrics_group_by_agent_capability_and_tenant(reader: MetricsReader) -> None:
    report = reader.compute(["runs", "cost_total"], window="1h", by=["agent", "tenant"])
    assert {(v.metric, v.group["agent"], v.group["tenant"]): v.value for v in report.values} == {
        ("runs", "refunds", "acme"): 5,
        ("runs", "triage", "globex"): 2,
        ("cost_total", "refunds", "acme"): pytest.approx(0.65),
        ("cost_total", "triage", "globex"): pytest.approx(0.01),
    }
    by_capability = reader.compute(["runs"], window="1h", by=["capability"])
    assert {v.group["capability"]: v.value for v in by_capability.values} == {
        "classify": 2,
        "refund": 5,
    }


def test_approval_rate_over_decisions_made_in_the_window(reader: MetricsReader) -> None:
    by_tool = reader.compute(["approval_rate", "approval_decisions"], window="1h", by=["tool"])
    # submit_refund: approve x3 and approve_edited (approved), reject x1; the expired request
    # and the rejection two hours ago do not count.
    assert value(by_tool, "approval_rate", tool="submit_refund") == pytest.approx(4 / 5)
    assert value(by_tool, "approval_decisions", tool="submit_refund") == 5
    assert value(by_tool, "approval_rate", tool="send_email") == 0.0
    overall = reader.compute(["approval_rate"], window="1h")
    assert value(overall, "approval_rate") == pytest.approx(4 / 6)


def test_no_decided_approvals_is_no_data(db: Database, clock: Clock) -> None:
    add_approval(db, "pending", decided_at=None, decision=None, status="pending")
    found = MetricsReader(db, clock=clock).compute(["approval_rate"]).get("approval_rate")
    assert found is not None
    assert (found.value, found.samples) == (None, 0)


def test_shadow_and_replay_runs_never_count_as_live_traffic(
    db: Database, clock: Clock, reader: MetricsReader
) -> None:
    names = ["runs", "task_completion_rate", "cost_total", "approval_rate", "tool_calls"]
    before = reader.compute(names, window="1h")
    for kind in ("shadow", "replay"):
        run_id = f"{kind}_0001"
        add_run(db, run_id, at=NOW - 60, status="failed", cost=50.0)
        add_spans(db, tool_call(run_id, "submit_refund", at=NOW - 59, status="error"))
        add_approval(db, f"{kind}_a", decided_at=NOW - 30, decision="reject")
        with db.engine.begin() as conn:  # add_approval names its run run_<id>
            conn.execute(
                approvals.update()
                .where(approvals.c.approval_id == f"{kind}_a")
                .values(run_id=run_id)
            )
    after = reader.compute(names, window="1h")
    for name in names:
        assert value(after, name) == value(before, name), name
    live = "live_0001"
    add_run(db, live, at=NOW - 60, status="failed", cost=50.0)
    assert value(reader.compute(["runs"], window="1h"), "runs") == value(before, "runs") + 1
