"""The four tools: least privilege, approved text only, writes that take effect once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from examples.refund_agent.agent import load_policy
from examples.refund_agent.brain.policy_doc import PolicyDocument
from examples.refund_agent.orders import ORDERS_SOURCE, OrderDatabase
from examples.refund_agent.tools import RefundTools, build_tools, exact_policy_match

from earned.errors import SemanticToolError
from earned.runtime import MemorySink, RunContext, Workflow
from earned.testing import run_inline
from tests.examples.conftest import TICKET_DATE

SECRETS = ("card_number", "card_expiry", "shipping_address", "email", "phone", "customer_name")


def _caller(tools: RefundTools, orders: OrderDatabase, document: PolicyDocument) -> Workflow:
    async def call(ctx: RunContext, request: dict[str, Any]) -> Any:
        return await ctx.call_tool(request["tool"], request["arguments"])

    return Workflow("caller", call, tools=tools.all, policy=load_policy(tools, orders, document))


async def test_get_order_summary_returns_only_total_date_status_and_product_names(
    tools: RefundTools, orders: OrderDatabase, document: PolicyDocument
) -> None:
    sink = MemorySink()
    result = await run_inline(
        _caller(tools, orders, document),
        {"tool": "get_order_summary", "arguments": {"order_id": "ord_10002"}},
        sink=sink,
    )
    assert result.output == {
        "total": 139.0,
        "date": "2026-03-01",
        "status": "delivered",
        "product_names": ["Trail running shoes"],
    }
    (span,) = sink.events(kind="tool_call")
    assert span.attributes["fields_returned"] == ["date", "product_names", "status", "total"]
    assert set(SECRETS) <= set(span.attributes["fields_removed"])
    trace = json.dumps([e.to_dict() for e in sink.events()])
    assert "4111" not in trace
    assert "Analytical Row" not in trace
    assert "ada@example.com" not in trace


def test_no_committed_order_leaks_payment_details_or_addresses(tmp_path: Any) -> None:
    orders = OrderDatabase(tmp_path / "orders.db")
    tools = build_tools(orders, PolicyDocument.load())
    ids = [json.loads(line)["order_id"] for line in ORDERS_SOURCE.read_text().splitlines()]
    assert len(ids) > 700
    for order_id in ids:
        row = orders.order(order_id)
        assert row is not None
        assert row["card_number"]
        assert row["shipping_address"]
        projected = tools.get_order_summary.returns.apply(tools.get_order_summary(order_id))  # type: ignore[union-attr]
        assert set(projected.value) == {
            "total",
            "date",
            "status",
            "product_names",
        }  # ... never returned
        text = json.dumps(projected.value)
        assert row["card_number"] not in text
        assert row["shipping_address"] not in text


async def test_an_unknown_order_is_a_semantic_error(tools: RefundTools) -> None:
    with pytest.raises(SemanticToolError, match="no order 'ord_99999'"):
        tools.get_order_summary("ord_99999")


def test_get_refund_policy_returns_approved_text_by_product_and_region(
    tools: RefundTools,
) -> None:
    us = tools.get_refund_policy(region="US", product="Wireless headphones")
    assert us["policy_version"] == "2026-02-01"
    assert us["product_class"] == "electronics"
    assert "refund_policy.section_3.1" in us["section_ids"]
    assert "refund_policy.section_4.1" in us["section_ids"]
    eu = tools.get_refund_policy(region="EU", product="Wireless headphones")
    assert "refund_policy.section_4.2" in eu["section_ids"]
    assert "refund_policy.section_4.1" not in eu["section_ids"]
    annual = tools.get_refund_policy(region="US", product="Plus membership (annual)")
    assert (annual["product_class"], annual["billing"]) == ("subscription", "annual")


def test_get_refund_policy_never_returns_a_draft_section(tools: RefundTools) -> None:
    with pytest.raises(SemanticToolError, match="not an approved section"):
        tools.get_refund_policy(region="US", section="8.1")
    every = tools.get_refund_policy(region="US", product="Gift card $50")
    assert all("goodwill" not in s["text"].lower() for s in every["sections"])


async def test_recommendations_with_invented_citations_are_refused(
    tools: RefundTools, orders: OrderDatabase, document: PolicyDocument
) -> None:
    arguments = {
        "order_id": "ord_10002",
        "decision": "approve",
        "amount": 139.0,
        "rationale": "within the window",
        "citations": ["refund_policy.section_9.9@2026-02-01"],
        "confidence": 0.99,
    }
    result = await run_inline(
        _caller(tools, orders, document),
        {"tool": "create_refund_recommendation", "arguments": arguments},
    )
    assert result.status == "failed"
    assert "not an approved policy section" in (result.error or {})["message"]
    assert orders.recommendations() == []


async def test_submit_refund_never_refunds_more_than_the_order_total(
    tools: RefundTools, orders: OrderDatabase, document: PolicyDocument
) -> None:
    arguments = {
        "order_id": "ord_10002",
        "amount": 400.0,
        "policy_citation": "refund_policy.section_3.1@2026-02-01",
    }
    policy = load_policy(tools, orders, document)
    agent = Workflow(
        "caller",
        _caller(tools, orders, document).fn,
        tools=tools.all,
        policy=policy,
    )

    class Approve:
        async def request(self, ctx: Any, pending: Any) -> Any:
            from earned.runtime import ApprovalOutcome

            return ApprovalOutcome(approved=True, approver="rita", role="reviewer")

    result = await run_inline(
        agent, {"tool": "submit_refund", "arguments": arguments}, approvals=Approve()
    )
    assert result.status == "failed"
    assert "at most the order total 139.0" in (result.error or {})["message"]
    assert orders.refunds() == []


def test_a_repeated_submit_with_the_same_idempotency_key_refunds_once(
    orders: OrderDatabase,
) -> None:
    first, created = orders.add_refund(
        idempotency_key="idem_abc",
        order_id="ord_10001",
        amount=19.0,
        policy_citation="refund_policy.section_3.1@2026-02-01",
        run_id="run_1",
    )
    again, created_again = orders.add_refund(
        idempotency_key="idem_abc",
        order_id="ord_10001",
        amount=19.0,
        policy_citation="refund_policy.section_3.1@2026-02-01",
        run_id="run_1",
    )
    assert (created, created_again) == (True, False)
    assert first == again
    assert len(orders.refunds()) == 1


@pytest.mark.parametrize(
    ("arguments", "exact"),
    [
        (
            {
                "order_id": "ord_10001",
                "amount": 19.0,
                "policy_citation": "refund_policy.section_3.1@2026-02-01",
            },
            True,
        ),
        (
            {
                "order_id": "ord_10001",
                "amount": 10.0,
                "policy_citation": "refund_policy.section_3.1@2026-02-01",
            },
            False,
        ),
        (
            {
                "order_id": "ord_10001",
                "amount": 19.0,
                "policy_citation": "refund_policy.section_5.1@2026-02-01",
            },
            False,
        ),
        (
            {
                "order_id": "ord_10005",
                "amount": 50.0,
                "policy_citation": "refund_policy.section_3.1@2026-02-01",
            },
            False,
        ),
        (
            {
                "order_id": "ord_10001",
                "amount": 19.0,
                "policy_citation": "refund_policy.section_3.1@2025-01-01",
            },
            False,
        ),
        (
            {
                "order_id": "ord_40404",
                "amount": 19.0,
                "policy_citation": "refund_policy.section_3.1@2026-02-01",
            },
            False,
        ),
    ],
    ids=[
        "window-match",
        "partial-amount",
        "exception-section",
        "wrong-class",
        "old-version",
        "no-order",
    ],
)
def test_exact_policy_match_needs_a_window_section_the_order_data_alone_decides(
    orders: OrderDatabase, document: PolicyDocument, arguments: dict[str, Any], exact: bool
) -> None:
    from earned.policy import CallRequest
    from earned.tools import RiskClass

    check = exact_policy_match(orders, document)
    ticket = {"created_at": TICKET_DATE, "region": "US"}  # the run's input
    request = CallRequest(
        tool="submit_refund", risk=RiskClass.IRREVERSIBLE, arguments=arguments, attributes=ticket
    )
    assert check(request) is exact


def test_an_exact_match_also_needs_the_ticket_inside_the_window(
    orders: OrderDatabase, document: PolicyDocument
) -> None:
    from earned.policy import CallRequest
    from earned.tools import RiskClass

    check = exact_policy_match(orders, document)
    arguments = {
        "order_id": "ord_10001",  # ordered 2026-03-01, a standard item: a 30-day window
        "amount": 19.0,
        "policy_citation": "refund_policy.section_3.1@2026-02-01",
    }

    def on(attributes: dict[str, Any]) -> bool:
        return check(
            CallRequest(
                tool="submit_refund",
                risk=RiskClass.IRREVERSIBLE,
                arguments=arguments,
                attributes=attributes,
            )
        )

    assert on({"created_at": "2026-03-30", "region": "US"})
    assert not on({"created_at": "2026-04-15", "region": "US"})  # day 45: outside
    assert not on({"region": "US"})  # no ticket date: a reviewer decides


def test_the_tool_table_matches_seed_000(tools: RefundTools) -> None:
    rows = {t.name: (t.risk.value, t.approval_required) for t in tools.all}
    assert rows == {
        "get_order_summary": ("read", False),
        "get_refund_policy": ("read", False),
        "create_refund_recommendation": ("internal_write", False),
        "submit_refund": ("irreversible", True),
    }
    assert all(t.allowed_use and t.blocked_use and t.log for t in tools.all)
