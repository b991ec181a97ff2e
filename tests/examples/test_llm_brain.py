"""The LLM brain, tested with a scripted model: same tools, same policy, same traces.

The model classifies (structured output), assesses through a ReAct stage that holds only the
read tools (structured output), and application code checks what it says before anything is
written. Nothing the model says (its confidence, an amount, a citation) grants a permission.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from examples.refund_agent.agent import build_agent, build_llm_agent
from examples.refund_agent.orders import OrderDatabase

from earned.runtime import MemorySink, RunResult, Workflow
from earned.testing import ScriptedModel, respond, run_inline, tool_call
from tests.examples.conftest import ticket

SHOES = ticket("Changed my mind about the trail running shoes, refund please.", "ord_10002")


def classification(label: str, confidence: float = 0.93, **extra: Any) -> str:
    return json.dumps({"label": label, "confidence": confidence, **extra})


def assessment(**fields: Any) -> str:
    base = {
        "order_id": "ord_10002",
        "decision": "approve",
        "section": "3.1",
        "amount": 139.0,
        "rationale": "Delivered 9 days ago, within the 30-day window for standard goods.",
        "confidence": 0.97,
        "draft": "Hello, we recommend a refund. [refund_policy.section_3.1@2026-02-01]",
        "refusals": [],
    }
    return json.dumps({**base, **fields})


def lookups() -> list[Any]:
    return [
        respond(tool_calls=[tool_call("get_order_summary", {"order_id": "ord_10002"})]),
        respond(
            tool_calls=[
                tool_call("get_refund_policy", {"region": "US", "product": "Trail running shoes"})
            ]
        ),
    ]


async def run(
    model: ScriptedModel, orders: OrderDatabase, data: Any, stage: str | None = None
) -> tuple[RunResult, MemorySink]:
    sink = MemorySink()
    agent = build_llm_agent(model=model, orders=orders)
    return await run_inline(agent, data, sink=sink, stage=stage), sink


async def test_a_refund_goes_classify_then_react_then_waits_for_approval(
    orders: OrderDatabase,
) -> None:
    model = ScriptedModel([classification("refund"), *lookups(), assessment()])
    result, sink = await run(model, orders, SHOES, stage="conditional_auto")
    model.assert_complete()
    assert result.status == "escalated"
    assert result.escalation is not None
    pending = result.escalation.details["pending_call"]
    assert (pending["tool"], pending["arguments"]["amount"]) == ("submit_refund", 139.0)
    first, *react = model.calls
    assert first.tool_names == []
    assert first.output is not None
    assert first.output.name == "TicketClassification"
    assert all(c.tool_names == ["get_order_summary", "get_refund_policy"] for c in react)
    assert all(c.output is not None and c.output.name == "RefundAssessment" for c in react)
    (rec,) = orders.recommendations()
    assert (rec["decision"], rec["confidence"]) == ("approve", 0.97)
    assert rec["citations"] == ["refund_policy.section_3.1@2026-02-01"]
    tools = [e.attributes["tool"] for e in sink.events(kind="tool_call")]
    assert tools == ["get_order_summary", "get_refund_policy", "create_refund_recommendation"]


async def test_the_model_never_sees_payment_details_or_addresses(orders: OrderDatabase) -> None:
    model = ScriptedModel([classification("refund"), *lookups(), assessment()])
    await run(model, orders, SHOES)
    seen = json.dumps([m.model_dump() for call in model.calls for m in call.messages])
    assert "Trail running shoes" in seen
    assert "4111" not in seen
    assert "Analytical Row" not in seen


async def test_an_invented_citation_escalates_before_anything_is_written(
    orders: OrderDatabase,
) -> None:
    model = ScriptedModel([classification("refund"), *lookups(), assessment(section="9.4")])
    result, _ = await run(model, orders, SHOES)
    assert result.status == "escalated"
    assert result.escalation is not None
    assert "not an approved policy section" in result.escalation.reason
    assert orders.recommendations() == []


async def test_an_inflated_amount_is_denied_by_policy_not_by_the_model(
    orders: OrderDatabase,
) -> None:
    model = ScriptedModel(
        [classification("refund"), *lookups(), assessment(amount=900.0, confidence=1.0)]
    )
    result, _ = await run(model, orders, SHOES, stage="autonomous")
    assert result.status == "completed"
    assert result.output["action"].startswith("refund not submitted")
    assert result.decisions[-1]["rule_id"] == "large-refunds"
    assert orders.refunds() == []


async def test_a_confident_small_refund_still_needs_the_stage_and_an_exact_match(
    orders: OrderDatabase,
) -> None:
    def script() -> list[Any]:
        return [
            classification("refund", 0.99),
            respond(tool_calls=[tool_call("get_order_summary", {"order_id": "ord_10001"})]),
            respond(
                tool_calls=[
                    tool_call("get_refund_policy", {"region": "US", "product": "Wooden puzzle"})
                ]
            ),
            assessment(order_id="ord_10001", amount=19.0, confidence=1.0),
        ]

    data = ticket("Return the puzzle please.", "ord_10001")
    below, _ = await run(ScriptedModel(script()), orders, data, stage="expanded")
    assert below.status == "escalated"  # confidence 1.0 waives nothing
    at, _ = await run(ScriptedModel(script()), orders, data, stage="conditional_auto")
    assert at.status == "completed"
    assert at.decisions[-1]["rule_id"] == "auto-small-refunds"
    assert [r["amount"] for r in orders.refunds()] == [19.0]


async def test_a_ticket_that_is_not_a_refund_costs_one_model_call_and_no_tool(
    orders: OrderDatabase,
) -> None:
    model = ScriptedModel([classification("billing")])
    result, sink = await run(model, orders, ticket("I was charged twice this month."))
    model.assert_complete()
    assert result.output["class"] == "billing"
    assert sink.events(kind="tool_call") == []


async def test_when_the_model_needs_the_order_number_the_reply_asks_for_it(
    orders: OrderDatabase,
) -> None:
    model = ScriptedModel(
        [
            classification("refund"),
            assessment(order_id=None, decision=None, section="7.3", amount=None),
        ]
    )
    result, _ = await run(model, orders, ticket("Refund please, I lost the order number."))
    assert result.output["section"] == "refund_policy.section_7.3"
    assert "order number" in result.output["draft"]


async def test_both_brains_share_the_tools_and_the_policy(
    orders: OrderDatabase, classifier_cache: Path
) -> None:
    offline: Workflow = build_agent(orders=orders, cache_dir=classifier_cache)
    llm = build_llm_agent(model=ScriptedModel([]), orders=orders)
    assert offline.versions()["policy"] == llm.versions()["policy"]
    assert offline.versions()["tools"] == llm.versions()["tools"]
    assert llm.versions()["prompt"] == "refund_llm_2026_03_01"
