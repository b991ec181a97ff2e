"""Metrics from what the runtime really records: runs through the guarded tool path.

This pins the contract between the runtime's tool-call spans (status, attempts, error type,
logged fields) and the metric queries, including how a tool reports its API cost.
"""

from __future__ import annotations

from typing import Any

import pytest

from earned import Policy, RunContext, Workflow, tool
from earned.errors import SemanticToolError, TransientToolError
from earned.metrics import MetricsReader
from earned.runtime import MemorySink, Principal
from earned.store import Database, RunStore, SpanStore
from earned.testing import run_inline

FAILURES = {"flaky": 0}


@tool(risk="read", returns=["status"])
def get_order(order_id: str) -> dict[str, Any]:
    """Read an order's status."""
    if order_id == "missing":
        raise SemanticToolError("no such order", order_id=order_id)
    return {"status": "delivered", "card_number": "4111 1111 1111 1111"}


@tool(risk="read")
def flaky(key: str) -> str:
    """Fails transiently while FAILURES['flaky'] > 0."""
    if FAILURES["flaky"] > 0:
        FAILURES["flaky"] -= 1
        raise TransientToolError("upstream 503")
    return key


@tool(risk="read", log=["tool_cost"])
def geocode(address: str) -> dict[str, Any]:
    """A paid API: reports what the call cost in its result and logs it."""
    return {"lat": 1.0, "lon": 2.0, "tool_cost": 0.004}


async def lookup(ctx: RunContext, order_id: str) -> dict[str, Any]:
    order = await ctx.call_tool("get_order", {"order_id": order_id})
    await ctx.call_tool("flaky", {"key": order_id})
    where = await ctx.call_tool("geocode", {"address": "1 Main St"})
    return {"status": order["status"], "lat": where["lat"]}


AGENT = Workflow(
    "lookup",
    lookup,
    tools=[get_order, flaky, geocode],
    policy=Policy.from_yaml(
        "version: 1\nname: lookup\nrules:\n  - id: reads\n    effect: allow\n    tools: ['*']\n",
        tools=[get_order, flaky, geocode],
    ),
)


async def record(db: Database, order_id: str) -> str:
    sink = MemorySink()
    result = await run_inline(
        AGENT, order_id, sink=sink, principal=Principal(user="u1", tenant="acme")
    )
    RunStore(db).finish(result)
    with SpanStore(db) as spans:
        for event in sink.events():
            spans.emit(event)
    return result.status


@pytest.mark.slow
async def test_metrics_of_real_runs(db: Database) -> None:
    FAILURES["flaky"] = 1  # the first run's flaky call needs a retry
    assert await record(db, "ord_1") == "completed"
    assert await record(db, "ord_2") == "completed"
    assert await record(db, "missing") == "failed"
    reader = MetricsReader(db)
    by_tool = reader.compute(window="1h", by=["tool"])

    def value(metric: str, tool_name: str) -> float | None:
        found = by_tool.get(metric, tool=tool_name)
        assert found is not None, (metric, tool_name)
        return found.value

    assert value("tool_calls", "get_order") == 3
    assert value("tool_success_rate", "get_order") == pytest.approx(2 / 3)
    assert value("tool_retry_rate", "flaky") == pytest.approx(1 / 2)
    assert value("tool_success_rate", "flaky") == 1.0
    assert value("tool_api_cost", "geocode") == pytest.approx(0.008)
    errors = by_tool.get("new_error_types", tool="get_order")
    assert errors is not None
    assert errors.details == {"new": ["SemanticToolError"], "errors": {"SemanticToolError": 1}}
    overall = reader.compute(["task_completion_rate", "tool_calls_per_run_max", "runs"],
                             window="1h", where={"agent": "lookup", "tenant": "acme"})  # fmt: skip
    assert [v.value for v in overall.values] == [pytest.approx(2 / 3), 3, 3]
