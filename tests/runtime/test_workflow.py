"""Static workflows: fixed steps; each tool call is guarded, decided and recorded."""

from __future__ import annotations

from typing import Any

import pytest

from earned.errors import ToolDenied, UnknownToolError
from earned.runtime import Principal, RunContext, Workflow
from earned.testing import MemorySink, run_inline
from tests.runtime.agents import CALLS, POLICY, TOOLS


async def refund_flow(ctx: RunContext, ticket: dict[str, Any]) -> dict[str, Any]:
    order = await ctx.call_tool("get_order_summary", {"order_id": ticket["order_id"]})
    amount = min(order["total"], ticket["amount"])
    rec = await ctx.call_tool(
        "create_refund_recommendation",
        {"order_id": ticket["order_id"], "amount": amount, "rationale": "within window"},
    )
    refund = await ctx.call_tool(
        "submit_refund", {"order_id": ticket["order_id"], "amount": amount}
    )
    return {"recommendation": rec["recommendation_id"], "refund": refund["refund_id"]}


FLOW = Workflow("refund_flow", refund_flow, tools=TOOLS, policy=POLICY)


async def test_a_workflow_runs_its_steps_and_records_each_decision() -> None:
    sink = MemorySink()
    result = await run_inline(
        FLOW, {"order_id": "ord_1", "amount": 20}, stage="conditional_auto", sink=sink
    )
    assert result.status == "completed", result.error
    assert result.output == {"recommendation": "rec_ord_1", "refund": "ref_ord_1"}
    assert [d["rule_id"] for d in result.decisions] == ["reads", "recommend", "small-refunds"]
    assert [name for name, _ in CALLS] == [
        "get_order_summary",
        "create_refund_recommendation",
        "submit_refund",
    ]
    kinds = [e.kind for e in sink.events(result.run_id)]
    assert kinds.count("tool_call") == 3
    assert kinds.count("policy_decision") == 3
    assert result.versions["policy"] == POLICY.version


async def test_returned_fields_outside_the_allowlist_never_reach_the_workflow() -> None:
    seen: list[dict[str, Any]] = []

    async def peek(ctx: RunContext, order_id: str) -> None:
        seen.append(await ctx.call_tool("get_order_summary", {"order_id": order_id}))

    sink = MemorySink()
    result = await run_inline(
        Workflow("peek", peek, tools=TOOLS, policy=POLICY), "ord_1", sink=sink
    )
    assert result.status == "completed"
    assert "card_number" not in seen[0]
    call = sink.events(result.run_id, kind="tool_call")[0]
    assert call.attributes["fields_removed"] == ["card_number"]
    assert call.attributes["fields_returned"] == ["note", "product_names", "status", "total"]


async def test_an_irreversible_call_without_an_approval_gate_escalates_with_context() -> None:
    result = await run_inline(FLOW, {"order_id": "ord_1", "amount": 20}, stage="approval_required")
    assert result.status == "escalated"
    assert result.escalation is not None
    pending = result.escalation.details["pending_call"]
    assert pending["tool"] == "submit_refund"
    assert pending["decision"]["rule_id"] == "tool-default:submit_refund"
    assert [t["tool"] for t in result.escalation.tried] == [
        "get_order_summary",
        "create_refund_recommendation",
    ]
    assert result.escalation.gathered[0]["tool"] == "get_order_summary"
    assert ("submit_refund", {"order_id": "ord_1", "amount": 20.0}) not in CALLS


async def test_injected_text_in_a_tool_result_makes_every_later_write_need_approval() -> None:
    sink = MemorySink()
    result = await run_inline(
        FLOW, {"order_id": "ord_2", "amount": 900}, stage="conditional_auto", sink=sink
    )
    assert result.tainted
    assert result.status == "escalated"
    assert result.escalation is not None
    pending = result.escalation.details["pending_call"]
    assert (pending["tool"], pending["decision"]["rule_id"]) == (
        "create_refund_recommendation",
        "tainted-run",
    )
    guard = sink.events(result.run_id, kind="guard")[0]
    assert (guard.name, guard.attributes["source"]) == (
        "prompt_injection",
        "tool:get_order_summary",
    )
    assert [name for name, _ in CALLS] == ["get_order_summary"]


async def test_a_denied_call_ends_the_workflow_as_denied() -> None:
    async def big(ctx: RunContext, _: Any) -> Any:
        return await ctx.call_tool("submit_refund", {"order_id": "ord_1", "amount": 900})

    result = await run_inline(Workflow("big", big, tools=TOOLS, policy=POLICY), None)
    assert result.status == "denied"
    assert result.error is not None
    assert "refunds above $500 go to finance" in result.error["message"]
    assert CALLS == []


async def test_deny_by_default_without_policy() -> None:
    async def one(ctx: RunContext, _: Any) -> Any:
        return await ctx.call_tool("get_order_summary", {"order_id": "ord_1"})

    result = await run_inline(Workflow("nopolicy", one, tools=TOOLS), None)
    assert result.status == "denied"
    assert result.decisions[0]["rule_id"] == "default-deny"
    assert CALLS == []


async def test_workflow_code_can_catch_a_denial() -> None:
    async def careful(ctx: RunContext, amount: float) -> str:
        try:
            await ctx.call_tool("submit_refund", {"order_id": "ord_1", "amount": amount})
        except ToolDenied as exc:
            return f"routed to finance: {exc.message}"
        return "refunded"

    result = await run_inline(Workflow("careful", careful, tools=TOOLS, policy=POLICY), 900)
    assert result.status == "completed"
    assert "refunds above $500 go to finance" in result.output


async def test_unknown_tools_and_bad_arguments_in_workflow_code_fail_clearly() -> None:
    async def typo(ctx: RunContext, _: Any) -> Any:
        return await ctx.call_tool("get_order_sumary", {"order_id": "x"})

    result = await run_inline(Workflow("typo", typo, tools=TOOLS, policy=POLICY), None)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["type"] == UnknownToolError.__name__
    assert "get_order_summary" in result.error["message"]

    async def bad_args(ctx: RunContext, _: Any) -> Any:
        return await ctx.call_tool("get_order_summary", {"order": "x"})

    result = await run_inline(Workflow("bad_args", bad_args, tools=TOOLS, policy=POLICY), None)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["type"] == "ToolArgumentsError"
    assert CALLS == []


async def test_semantic_tool_errors_are_not_retried_transient_ones_are() -> None:
    from tests.runtime import agents

    async def lookups(ctx: RunContext, _: Any) -> Any:
        value = await ctx.call_tool("flaky_lookup", {"key": "a"})
        await ctx.call_tool("get_order_summary", {"order_id": "missing"})
        return value

    agents.FLAKY_FAILURES[0] = 2
    sink = MemorySink()
    flow = Workflow("lookups", lookups, tools=TOOLS, policy=POLICY)
    result = await run_inline(flow, None, sink=sink)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["type"] == "SemanticToolError"
    assert [name for name, _ in CALLS].count("flaky_lookup") == 3
    assert [name for name, _ in CALLS].count("get_order_summary") == 1
    attempts = [e.attributes["attempts"] for e in sink.events(kind="tool_call")]
    assert attempts == [3, 1]


async def test_principal_scopes_policy_and_reaches_tools() -> None:
    from earned.policy import Policy, Rule

    policy = Policy(
        [
            Rule.build(
                "ops", "allow", tools=["get_order_summary"], roles=["operator"], tenants=["acme"]
            )
        ]
    )

    async def one(ctx: RunContext, _: Any) -> Any:
        return await ctx.call_tool("get_order_summary", {"order_id": "ord_1"})

    flow = Workflow("scoped", one, tools=TOOLS, policy=policy)
    ok = await run_inline(flow, None, principal=Principal(role="operator", tenant="acme"))
    other = await run_inline(flow, None, principal=Principal(role="operator", tenant="beta"))
    assert (ok.status, other.status) == ("completed", "denied")


def test_workflow_functions_must_be_async() -> None:
    from earned.errors import UserError

    def sync_flow(ctx: RunContext, _: Any) -> None:
        return None

    with pytest.raises(UserError, match="must be an async function"):
        Workflow("sync", sync_flow)  # type: ignore[arg-type]


async def test_a_tool_span_carries_its_declared_logging_fields() -> None:
    from earned.demo._agent import build_agent

    sink = MemorySink()
    ticket = {"text": "My desk lamp ord_1001 arrived broken, refund please"}
    result = await run_inline(build_agent(), ticket, stage="conditional_auto", sink=sink)
    assert result.status == "completed"
    spans = {e.name: e for e in sink.events(kind="tool_call")}
    assert spans["get_order_summary"].attributes["logged"] == {"order_id": "ord_1001"}
    assert spans["get_refund_policy"].attributes["logged"] == {"section": "3.2"}
    assert spans["create_refund_recommendation"].attributes["logged"] == {
        "rationale": ("Items that arrive damaged are refunded in full within 30 days.")
    }
    assert spans["submit_refund"].attributes["logged"] == {"amount": 19.0}
    assert spans["get_order_summary"].attributes["policy_version"].startswith("demo-support@")
