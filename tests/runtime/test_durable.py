"""Durable runs on DBOS, on a real SQLite file and on the real PostgreSQL server."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from earned.errors import UserError
from earned.runtime import Engine, Principal, ReActAgent, RunContext, Workflow
from earned.testing import ScriptedModel, respond, tool_call
from tests.runtime.agents import CALLS, POLICY, TOOLS

ROOT = Path(__file__).resolve().parents[2]


async def refund_flow(ctx: RunContext, ticket: dict[str, Any]) -> dict[str, Any]:
    order = await ctx.call_tool("get_order_summary", {"order_id": ticket["order_id"]})
    kind = await ctx.step("classify", lambda: "refund")
    rec = await ctx.call_tool(
        "create_refund_recommendation",
        {"order_id": ticket["order_id"], "amount": order["total"], "rationale": "policy 3.2"},
    )
    return {"kind": kind, "recommendation": rec["recommendation_id"]}


FLOW = Workflow("durable_refund", refund_flow, tools=TOOLS, policy=POLICY)


@pytest.mark.slow
async def test_a_workflow_runs_durably_and_its_run_and_spans_are_stored(
    database_url: str,
) -> None:
    async with Engine([FLOW], database_url=database_url) as engine:
        result = await engine.run(
            FLOW, {"order_id": "ord_1"}, principal=Principal(user="u1", tenant="acme")
        )
        assert result.status == "completed", result.error
        assert result.output == {"kind": "refund", "recommendation": "rec_ord_1"}
        record = engine.runs.get(result.run_id)
        assert record is not None
        assert record.status == "completed"
        assert record.to_result().output == result.output
        engine.spans.flush()
        spans = engine.spans.spans(result.run_id)
        kinds = [s.kind for s in spans]
        assert kinds.count("tool_call") == 2
        assert kinds.count("step") == 1
        assert spans[0].kind == "run"
        assert spans[0].status == "completed"
        assert all(s.parent_id == spans[0].span_id for s in spans[1:])
        # The same run id never runs twice: a second start returns the first result.
        again = await engine.run(FLOW, {"order_id": "ord_1"}, run_id=result.run_id)
        assert again.output == result.output
    assert [name for name, _ in CALLS] == ["get_order_summary", "create_refund_recommendation"]


@pytest.mark.slow
async def test_a_react_agent_runs_durably(database_url: str) -> None:
    model = ScriptedModel(
        [
            respond(tool_calls=[tool_call("get_order_summary", {"order_id": "ord_1"}, id="c1")]),
            respond("ord_1 was $20"),
        ]
    )
    agent = ReActAgent("durable_react", model=model, instructions="x", tools=TOOLS, policy=POLICY)
    async with Engine([agent], database_url=database_url) as engine:
        result = await engine.run(agent, "how much was ord_1?")
    model.assert_complete()
    assert (result.status, result.output) == ("completed", "ord_1 was $20")
    assert result.usage.requests == 2


async def test_agents_must_be_registered_before_launch(tmp_path: Path) -> None:
    engine = Engine([FLOW], database_url=f"sqlite:///{tmp_path}/e.db")
    async with engine:
        with pytest.raises(UserError, match="already launched"):
            engine.register(Workflow("late", refund_flow))
        with pytest.raises(UserError, match="no agent named 'nope'"):
            await engine.run("nope", None)
        second = Engine([FLOW], database_url=f"sqlite:///{tmp_path}/other.db")
        with pytest.raises(UserError, match="already launched in this process"):
            await second.launch()


def _run(mode: str, database_url: str, run_id: str, log: Path, crash: bool) -> Any:
    env = {
        **os.environ,
        "EARNED_CRASH_LOG": str(log),
        "EARNED_CRASH_BETWEEN": "1" if crash else "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "tests.runtime.crash_agent", mode, database_url, run_id],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_a_run_killed_between_two_tool_calls_resumes_without_repeating_the_first(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "side_effects.log"
    killed = _run("start", database_url, "run_crash_1", log, crash=True)
    assert killed.returncode == -9, killed.stderr
    assert [json.loads(line)["tool"] for line in log.read_text().splitlines()] == ["first_write"]

    recovered = _run("recover", database_url, "run_crash_1", log, crash=False)
    assert recovered.returncode == 0, recovered.stderr
    result = json.loads(recovered.stdout.strip().splitlines()[-1])
    assert result["status"] == "completed"
    assert result["output"] == {"a": "first:x", "b": "second:x"}
    executions = [json.loads(line)["tool"] for line in log.read_text().splitlines()]
    assert executions == ["first_write", "second_write"]


@pytest.mark.slow
async def test_a_run_can_be_cancelled_before_its_next_step(tmp_path: Path) -> None:
    release = asyncio.Event()
    calls: list[str] = []

    async def wait_for_release() -> str:
        await release.wait()
        return "released"

    async def slow(ctx: RunContext, _: Any) -> str:
        await ctx.step("wait", wait_for_release)
        calls.append("after-wait")
        await ctx.step("second", lambda: "second")
        calls.append("after-second")
        return "done"

    agent = Workflow("cancellable", slow)
    async with Engine([agent], database_url=f"sqlite:///{tmp_path}/c.db") as engine:
        handle = await engine.start(agent, None)
        await asyncio.sleep(0.2)  # let the run reach its first step (a yield, not a timing check)
        cancelled = await engine.cancel(handle.run_id, reason="customer withdrew the ticket")
        release.set()
        result = await handle.result()
        assert (cancelled.status, result.status) == ("cancelled", "cancelled")
        record = engine.runs.get(handle.run_id)
        assert record is not None
        assert record.status == "cancelled"
        assert result.error is not None
        assert result.error["message"] == "customer withdrew the ticket"
        with pytest.raises(UserError, match="already ended"):
            await engine.cancel(handle.run_id)
    assert "after-second" not in calls


@pytest.mark.slow
async def test_plan_and_execute_and_router_run_durably(database_url: str) -> None:
    from earned.runtime import PlanAndExecute, Router

    plan = json.dumps(
        {
            "steps": [
                {"tool": "get_order_summary", "arguments": {"order_id": "ord_1"}, "reason": "look"},
            ]
        }
    )
    planner_model = ScriptedModel([plan, respond("ord_1 is delivered")])
    planner = PlanAndExecute(
        "durable_planner", model=planner_model, instructions="x", tools=TOOLS, policy=POLICY
    )
    router = Router(
        "durable_router",
        routes={"refund": FLOW, "plan": planner},
        classify=lambda text: "plan" if "plan" in text else "refund",
    )
    async with Engine([router], database_url=database_url) as engine:
        planned = await engine.run(router, "plan it")
        routed = await engine.run(router, {"order_id": "ord_1", "text": "refund"})
        engine.spans.flush()
        kinds = [s.kind for s in engine.spans.spans(planned.run_id)]
    planner_model.assert_complete()
    assert (planned.status, planned.output) == ("completed", "ord_1 is delivered")
    assert routed.status == "completed", routed.error
    assert routed.output["recommendation"] == "rec_ord_1"
    assert kinds.count("sub_agent") == 1
    assert kinds.count("model_call") == 2
