"""Plan-and-execute, router and sub-agents share the one guarded execution path."""

from __future__ import annotations

import json
from typing import Any

from earned.runtime import PlanAndExecute, ReActAgent, Router, RunContext, Workflow
from earned.testing import MemorySink, ScriptedModel, respond, run_inline, tool_call
from tests.runtime.agents import CALLS, POLICY, TOOLS


def plan(*steps: dict[str, Any]) -> str:
    return json.dumps({"steps": list(steps), "rationale": "because"})


async def test_plan_and_execute_runs_each_step_under_policy() -> None:
    model = ScriptedModel(
        [
            plan(
                {"tool": "get_order_summary", "arguments": {"order_id": "ord_1"}, "reason": "look"},
                {
                    "tool": "create_refund_recommendation",
                    "arguments": {"order_id": "ord_1", "amount": 20, "rationale": "ok"},
                },
            ),
            respond("Recommended a $20 refund."),
        ]
    )
    planner = PlanAndExecute(
        "planner", model=model, instructions="Refunds.", tools=TOOLS, policy=POLICY
    )
    sink = MemorySink()
    result = await run_inline(planner, "refund ord_1", sink=sink)
    model.assert_complete()
    assert result.status == "completed", result.error
    assert [name for name, _ in CALLS] == ["get_order_summary", "create_refund_recommendation"]
    assert [d["rule_id"] for d in result.decisions] == ["reads", "recommend"]
    recorded = next(e for e in sink.events(kind="custom") if e.name == "plan")
    assert len(recorded.attributes["steps"]) == 2
    assert model.calls[0].output is not None
    assert model.calls[0].tools == ()


async def test_a_bad_plan_is_sent_back_then_escalated() -> None:
    bad = plan({"tool": "wire_money", "arguments": {}})
    model = ScriptedModel([bad, bad])
    planner = PlanAndExecute("planner", model=model, instructions="x", tools=TOOLS, policy=POLICY)
    result = await run_inline(planner, "go")
    model.assert_complete()
    assert "plan_rejected" in model.calls[1].last_text
    assert result.status == "escalated"
    assert result.escalation is not None
    assert "unknown tool 'wire_money'" in result.escalation.reason
    assert CALLS == []


async def test_a_denied_step_stops_the_plan_and_the_model_answers() -> None:
    model = ScriptedModel(
        [
            plan(
                {"tool": "submit_refund", "arguments": {"order_id": "ord_1", "amount": 900}},
                {"tool": "get_order_summary", "arguments": {"order_id": "ord_1"}},
            ),
            respond("That refund needs finance."),
        ]
    )
    planner = PlanAndExecute("planner", model=model, instructions="x", tools=TOOLS, policy=POLICY)
    result = await run_inline(planner, "refund 900")
    assert result.status == "completed"
    assert result.output == "That refund needs finance."
    assert CALLS == []
    assert "denied_by_policy" in model.calls[1].messages[-2].content  # type: ignore[union-attr]


async def test_router_with_a_python_classifier_runs_one_route() -> None:
    async def refunds(ctx: RunContext, ticket: str) -> str:
        order = await ctx.call_tool("get_order_summary", {"order_id": "ord_1"})
        return f"refund route: {order['total']}"

    async def other(ctx: RunContext, ticket: str) -> str:
        return "other route"

    router = Router(
        "triage",
        routes={
            "refund": Workflow("refunds", refunds, tools=TOOLS, policy=POLICY),
            "other": Workflow("other", other),
        },
        classify=lambda text: ("refund", 0.9) if "refund" in text else ("other", 0.6),
    )
    sink = MemorySink()
    result = await run_inline(router, "I want a refund", sink=sink)
    assert result.output == "refund route: 20.0"
    route = next(e for e in sink.events(kind="custom") if e.name == "route")
    assert (route.attributes["route"], route.attributes["confidence"]) == ("refund", 0.9)
    sub = sink.events(kind="sub_agent")[0]
    tool_span = sink.events(kind="tool_call")[0]
    assert tool_span.parent_id == sub.span_id
    assert (await run_inline(router, "hello")).output == "other route"


async def test_router_with_a_model_classifier_and_no_route_escalates() -> None:
    model = ScriptedModel([respond('{"route": "billing", "confidence": 0.99, "reason": "x"}')])
    router = Router("triage", model=model, routes={"refund": Workflow("r", _noop)})
    result = await run_inline(router, "my invoice")
    # "billing" is not one of the route labels: the answer fails the schema check.
    assert result.status == "escalated"
    assert result.escalation is not None
    assert "does not match RouteChoice" in result.escalation.reason


async def _noop(ctx: RunContext, _: Any) -> str:
    return "noop"


async def test_a_workflow_step_may_run_a_sub_agent_with_its_own_policy() -> None:
    model = ScriptedModel(
        [
            respond(tool_calls=[tool_call("get_order_summary", {"order_id": "ord_1"}, id="c")]),
            respond("looked it up"),
        ]
    )
    helper = ReActAgent("lookup", model=model, instructions="look up", tools=TOOLS, policy=POLICY)

    async def outer(ctx: RunContext, text: str) -> dict[str, Any]:
        kind = await ctx.step("classify", lambda: "refund")
        answer = await ctx.run_agent(helper, text)
        return {"kind": kind, "answer": answer}

    result = await run_inline(Workflow("outer", outer), "refund ord_1")
    assert result.output == {"kind": "refund", "answer": "looked it up"}
    assert result.decisions[0]["rule_id"] == "reads"
    assert result.steps == 3
