"""Tool metrics from tool-call spans, with exact values, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from earned.errors import UserError
from earned.metrics import MetricsReader, MetricsReport
from earned.store import Database
from tests.metrics.conftest import Clock
from tests.metrics.data import NOW, add_spans, build_world, tool_call


@pytest.fixture
def reader(db: Database, clock: Clock) -> MetricsReader:
    build_world(db)
    return MetricsReader(db, clock=clock)


def value(report: MetricsReport, metric: str, **group: str | None) -> float | None:
    found = report.get(metric, **group)
    assert found is not None, f"no {metric} for {group}"
    return found.value


def test_success_rate_counts_only_calls_that_reached_the_tool(reader: MetricsReader) -> None:
    by_tool = reader.compute(window="1h", by=["tool"])
    # get_order: 5 calls; 3 reached the tool (attempts >= 1), one of them failed.
    # The cached answer and the invalid arguments never ran get_order's code.
    assert value(by_tool, "tool_calls", tool="get_order") == 5
    assert value(by_tool, "tool_success_rate", tool="get_order") == pytest.approx(2 / 3)
    assert by_tool.get("tool_success_rate", tool="get_order").samples == 3  # type: ignore[union-attr]
    # submit_refund: one ran and succeeded, one was denied by policy (not the tool's fault).
    assert value(by_tool, "tool_success_rate", tool="submit_refund") == 1.0
    assert value(by_tool, "tool_success_rate", tool="lookup_kb") == 0.0
    assert value(by_tool, "tool_success_rate", tool="classify") == 1.0


def test_error_rate_counts_every_call_that_returned_no_result(reader: MetricsReader) -> None:
    by_tool = reader.compute(window="1h", by=["tool"])
    assert value(by_tool, "tool_error_rate", tool="get_order") == pytest.approx(2 / 5)
    assert value(by_tool, "tool_error_rate", tool="submit_refund") == 0.5
    overall = reader.compute(window="1h")
    assert value(overall, "tool_calls") == 9
    assert value(overall, "tool_error_rate") == pytest.approx(4 / 9)


def test_retry_rate_is_calls_that_needed_more_than_one_attempt(reader: MetricsReader) -> None:
    by_tool = reader.compute(window="1h", by=["tool"])
    assert value(by_tool, "tool_retry_rate", tool="get_order") == pytest.approx(2 / 3)
    assert value(by_tool, "tool_retry_rate", tool="submit_refund") == 0.0


def test_latency_percentiles_use_the_nearest_rank(reader: MetricsReader) -> None:
    by_tool = reader.compute(window="1h", by=["tool"])
    # get_order's calls that ran took 0.2 s, 0.4 s and 3.0 s.
    assert value(by_tool, "tool_latency_p50", tool="get_order") == pytest.approx(0.4)
    assert value(by_tool, "tool_latency_p95", tool="get_order") == pytest.approx(3.0)
    assert value(by_tool, "tool_latency_p99", tool="get_order") == pytest.approx(3.0)
    assert value(by_tool, "tool_latency_p95", tool="submit_refund") == pytest.approx(1.0)


def test_latency_percentiles_over_a_hundred_calls(db: Database, clock: Clock) -> None:
    add_spans(
        db, *(tool_call(f"run_{i}", "search", at=NOW - 100, ms=10.0 * i) for i in range(1, 101))
    )
    report = MetricsReader(db, clock=clock).compute(["tool_latency_p50", "tool_latency_p95",
                                                     "tool_latency_p99"], window="5m")  # fmt: skip
    assert [v.value for v in report.values] == pytest.approx([0.5, 0.95, 0.99])
    assert {v.samples for v in report.values} == {100}


def test_calls_per_run_names_the_run_with_the_most_calls(reader: MetricsReader) -> None:
    overall = reader.compute(["tool_calls_per_run_avg", "tool_calls_per_run_max"], window="1h")
    assert value(overall, "tool_calls_per_run_avg") == pytest.approx(9 / 4)
    most = overall.get("tool_calls_per_run_max")
    assert most is not None
    assert (most.value, most.samples, most.details) == (4, 4, {"run_id": "r2"})


def test_new_error_types_are_those_never_seen_before_the_window(reader: MetricsReader) -> None:
    overall = reader.compute(["new_error_types"], window="1h").get("new_error_types")
    assert overall is not None
    assert overall.value == 3
    assert overall.details == {
        "new": ["SemanticToolError", "denied_by_policy", "invalid_arguments"],
        "errors": {
            "SemanticToolError": 1,
            "TransientToolError": 1,
            "denied_by_policy": 1,
            "invalid_arguments": 1,
        },
    }
    by_tool = reader.compute(["new_error_types"], window="1h", by=["tool"])
    get_order = by_tool.get("new_error_types", tool="get_order")
    assert get_order is not None
    assert (get_order.value, get_order.details["new"]) == (1, ["invalid_arguments"])
    assert value(by_tool, "new_error_types", tool="classify") == 0


def test_tool_api_cost_sums_span_costs_and_logged_tool_costs(reader: MetricsReader) -> None:
    by_tool = reader.compute(["tool_api_cost"], window="1h", by=["tool"])
    assert value(by_tool, "tool_api_cost", tool="submit_refund") == pytest.approx(0.02)
    assert value(by_tool, "tool_api_cost", tool="lookup_kb") == pytest.approx(0.005)
    assert value(by_tool, "tool_api_cost", tool="get_order") == 0
    overall = reader.compute(["tool_api_cost"], window="1h")
    assert value(overall, "tool_api_cost") == pytest.approx(0.025)


def test_tool_metrics_filter_and_group_by_the_run_s_agent_and_tenant(
    reader: MetricsReader,
) -> None:
    report = reader.compute(["tool_calls"], window="1h", by=["agent", "tool"])
    assert {(v.group["agent"], v.group["tool"]): v.value for v in report.values} == {
        ("refunds", "get_order"): 5,
        ("refunds", "lookup_kb"): 1,
        ("refunds", "submit_refund"): 2,
        ("triage", "classify"): 1,
    }
    globex = reader.compute(["tool_calls", "tool_success_rate"], window="1h",
                            where={"tenant": "globex"})  # fmt: skip
    assert (value(globex, "tool_calls"), value(globex, "tool_success_rate")) == (1, 1.0)


def test_the_window_excludes_older_calls(reader: MetricsReader) -> None:
    last_5m = reader.compute(["tool_calls"], window="5m")
    assert value(last_5m, "tool_calls") == 0
    last_2h = reader.compute(["tool_calls"], window="2h")
    assert value(last_2h, "tool_calls") == 10


def test_an_empty_window_has_no_values_not_zeros(db: Database, clock: Clock) -> None:
    report = MetricsReader(db, clock=clock).compute(window="1h")
    assert value(report, "tool_calls") == 0
    for metric in ("tool_success_rate", "tool_latency_p95", "tool_calls_per_run_max"):
        found = report.get(metric)
        assert found is not None
        assert (found.value, found.samples) == (None, 0)


def test_cutting_a_metric_by_a_dimension_it_lacks_is_reported(reader: MetricsReader) -> None:
    report = reader.compute(["tool_calls", "task_completion_rate"], window="1h", by=["tool"])
    assert "task_completion_rate" in report.skipped
    assert "it can be by agent, capability, tenant" in report.skipped["task_completion_rate"]
    with pytest.raises(UserError, match="unknown metric 'tool_sucess_rate'"):
        reader.compute(["tool_sucess_rate"])
    with pytest.raises(UserError, match="cannot group by 'user'"):
        reader.compute(by=["user"])
    with pytest.raises(UserError, match="write a whole number and a unit"):
        reader.compute(window="an hour")
