"""Durable runs under a capability matrix: stages act on real tool calls, flags on live runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from earned.rollout import MatrixFileError
from earned.runtime import Engine, PlanAndExecute, ReActAgent, RunContext, Workflow
from earned.stages import Stage
from earned.testing import ScriptedModel, respond, tool_call
from tests.rollout import agents
from tests.rollout.agents import AGENT, CALLS

TOOLS = [agents.lookup, agents.note, agents.pay]

pytestmark = pytest.mark.slow


async def test_in_shadow_reads_run_and_the_payment_is_simulated_not_made(
    database_url: str,
) -> None:
    async with Engine([AGENT], database_url=database_url, matrix=agents.matrix()) as engine:
        result = await engine.run(AGENT, {"order_id": "o1", "amount": 10.0})
        engine.spans.flush()
        calls = [s for s in engine.spans.spans(result.run_id) if s.kind == "tool_call"]
    assert result.status == "completed", result.error
    assert CALLS == ["lookup", "note"]  # the irreversible call never ran
    assert result.output["pay"] == {"payment_id": "p_simulated", "amount": 10.0, "simulated": True}
    by_tool = {s.name: s.attributes for s in calls}
    assert [s.status for s in calls] == ["ok", "ok", "simulated"]
    assert (by_tool["pay"]["capability"], by_tool["pay"]["stage"]) == ("payments", "shadow")
    assert (by_tool["note"]["capability"], by_tool["note"]["stage"]) == ("notes", "assist")


async def test_at_conditional_auto_a_small_payment_runs_unattended(database_url: str) -> None:
    matrix = agents.matrix(Stage.CONDITIONAL_AUTO)
    async with Engine([AGENT], database_url=database_url, matrix=matrix) as engine:
        small = await engine.run(AGENT, {"order_id": "o1", "amount": 10.0})
        shadowed = await engine.run(AGENT, {"order_id": "o2", "amount": 10.0}, stage="shadow")
    assert small.output["pay"] == {"payment_id": "p_o1", "amount": 10.0}
    assert shadowed.output["pay"]["simulated"] is True  # a run may ask for less autonomy
    assert CALLS.count("pay") == 1


async def test_a_flag_flipped_mid_run_stops_the_next_call(database_url: str) -> None:
    async def flips(ctx: RunContext, ticket: dict[str, Any]) -> dict[str, Any]:
        first = await ctx.call_tool("lookup", {"order_id": ticket["order_id"]})
        await ctx.step(
            "kill",
            lambda: (
                engine.rollout.store.set_flag(
                    "orders", "enabled", False, actor="oncall", reason="bad reads"
                )
                and None
            ),
        )
        try:
            await ctx.call_tool("lookup", {"order_id": ticket["order_id"]})
        except Exception as exc:
            return {"first": first, "second": type(exc).__name__}
        return {"first": first, "second": "ran"}

    agent = Workflow("flips", flips, tools=TOOLS, policy=agents.POLICY)
    matrix = agents.matrix(Stage.AUTONOMOUS)
    async with Engine([agent], database_url=database_url, matrix=matrix) as engine:
        result = await engine.run(agent, {"order_id": "o1"})
    assert result.output == {"first": {"order_id": "o1", "total": 40.0}, "second": "ToolDenied"}
    assert CALLS == ["lookup"]


async def test_the_agent_kill_switch_escalates_runs_at_their_next_model_call(
    database_url: str,
) -> None:
    model = ScriptedModel([respond(tool_calls=[tool_call("lookup", {"order_id": "o1"}, id="c1")])])
    react = ReActAgent("asker", model=model, instructions="x", tools=TOOLS, policy=agents.POLICY)
    matrix = agents.matrix(Stage.AUTONOMOUS)
    async with Engine([react], database_url=database_url, matrix=matrix) as engine:
        engine.rollout.store.set_flag("*", "agent_enabled", False, actor="oncall", reason="2am")
        result = await engine.run(react, "how much was o1?")
    assert result.status == "escalated"
    assert result.escalation is not None
    assert (result.escalation.kind, result.escalation.details["flag"]) == (
        "SwitchedOff",
        "agent_enabled",
    )
    assert "the agent is switched off" in result.escalation.reason
    assert model.calls == []  # the model was never asked


async def test_planner_and_draft_flags_hand_the_work_to_a_human(database_url: str) -> None:
    planner = PlanAndExecute(
        "planner",
        model=ScriptedModel([]),
        instructions="x",
        tools=TOOLS,
        policy=agents.POLICY,
    )
    matrix = agents.matrix(Stage.AUTONOMOUS)
    async with Engine([planner, AGENT], database_url=database_url, matrix=matrix) as engine:
        store = engine.rollout.store
        store.set_flag("*", "planner_enabled", False, actor="po", reason="plans misbehave")
        planned = await engine.run(planner, "look up o1")
        store.set_flag("*", "draft_generation_enabled", False, actor="po", reason="drafts off")
        drafted = await engine.run(AGENT, {"order_id": "o1"})
    assert planned.status == "escalated"
    assert planned.escalation is not None
    assert planned.escalation.details["flag"] == "planner_enabled"
    assert drafted.status == "escalated"
    assert drafted.output is None
    assert drafted.escalation is not None
    assert drafted.escalation.details["flag"] == "draft_generation_enabled"


async def test_a_matrix_naming_a_tool_no_agent_has_stops_the_launch(tmp_path: Path) -> None:
    from earned.rollout import CapabilityMatrix, CapabilitySpec

    matrix = CapabilityMatrix([CapabilitySpec(name="x", owner="o", tools=("lookpu",))])
    engine = Engine([AGENT], database_url=f"sqlite:///{tmp_path}/m.db", matrix=matrix)
    with pytest.raises(MatrixFileError, match="unknown tool 'lookpu'") as caught:
        await engine.launch()
    assert "did you mean 'lookup'" in str(caught.value.details["fix"])


async def test_the_minute_schedule_demotes_a_capability_whose_stop_condition_trips(
    database_url: str,
) -> None:
    from earned.rollout import StopCondition
    from earned.runtime import _durable as durable

    stop = StopCondition(id="unauthorized", count="unauthorized", above=0)
    matrix = agents.matrix(Stage.CONDITIONAL_AUTO, stop_conditions=(stop,))
    async with Engine([AGENT], database_url=database_url, matrix=matrix, alerts=[]) as engine:
        over_limit = await engine.run(AGENT, {"order_id": "o1", "amount": 900.0})
        assert over_limit.output["pay"]["denied"]  # no rule allows it: default deny
        engine.spans.flush()
        report = await durable.trigger(durable.ROLLOUT_MONITOR_NAME)
        state = engine.rollout.store.state("payments")
        after = await engine.start(AGENT, {"order_id": "o2", "amount": 10.0})
        waiting = await engine.settle(after.run_id)
        await engine.cancel(after.run_id)
    assert [d["capability"] for d in report["demotions"]] == ["payments"]
    assert (state.stage, state.tripped) == (Stage.APPROVAL_REQUIRED, "unauthorized")
    assert waiting.status == "waiting_approval"  # the small payment now waits for a human
    assert "pay" not in CALLS
