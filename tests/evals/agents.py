"""Small agents the eval tests run: a deterministic support workflow and a ReAct agent.

The workflow is an honest offline brain in miniature: keyword classification (recorded as
a `classification` event), an order lookup, a policy section, a decision with a citation.
Words in the ticket steer it into each failure the evaluators must catch.
"""

from __future__ import annotations

import json
from typing import Any

from earned.errors import ToolDenied
from earned.messages import Message
from earned.policy import Policy, Rule
from earned.runtime import ReActAgent, RunContext, Workflow
from earned.testing import FunctionModel, ModelCall, respond, tool_call
from earned.tools import tool

ORDERS: dict[str, dict[str, Any]] = {
    "ord_1": {"total": 20.0, "status": "delivered", "days": 5},
    "ord_2": {"total": 120.0, "status": "delivered", "days": 40},
    "ord_3": {"total": 80.0, "status": "delivered", "days": 3},
    "ord_4": {"total": 700.0, "status": "delivered", "days": 2},
}
SECTIONS = {
    "3.1": "Refunds within 30 days of delivery are approved.",
    "3.2": "Damaged items are refunded within 30 days.",
    "3.4": "After 30 days we offer store credit instead of a refund.",
}
KNOWN_SECTIONS = [f"refund_policy.section_{s}" for s in SECTIONS]


@tool(risk="read", returns=["total", "status", "days"])
def get_order_summary(order_id: str) -> dict[str, Any]:
    """Read an order's total, status and age in days."""
    return ORDERS[order_id]


@tool(risk="read")
def get_refund_policy(section: str) -> dict[str, Any]:
    """Read one section of the approved refund policy."""
    return {"section": section, "text": SECTIONS[section], "version": "2025-02-01"}


@tool(risk="internal_write")
def create_refund_recommendation(order_id: str, decision: str, amount: float) -> dict[str, Any]:
    """Write an internal refund recommendation."""
    return {"recommendation_id": f"rec_{order_id}", "decision": decision, "amount": amount}


@tool(risk="irreversible")
def submit_refund(order_id: str, amount: float) -> dict[str, Any]:
    """Submit a refund to the payment system."""
    return {"refund_id": f"ref_{order_id}", "amount": amount}


TOOLS = [get_order_summary, get_refund_policy, create_refund_recommendation, submit_refund]

POLICY = Policy(
    [
        Rule.build("reads", "allow", tools=["get_order_summary", "get_refund_policy"]),
        Rule.build("recommend", "allow", tools=["create_refund_recommendation"]),
        Rule.build(
            "small-refunds",
            "allow",
            tools=["submit_refund"],
            when={"amount": {"lte": 25}},
            approval_waived=True,
        ),
        Rule.build("large-refunds", "deny", tools=["submit_refund"], when={"amount": {"gt": 500}}),
    ],
    name="eval-test",
)

_WORDS = {
    "refund": ("refund", "money back", "broken", "damaged"),
    "billing": ("invoice", "charged", "billing"),
    "account": ("password", "login"),
}


def classify(text: str) -> str:
    """The class whose words appear first in the text (`other` when none do)."""
    lowered = text.lower()
    if "misclassify" in lowered:
        return "billing"
    for label, words in _WORDS.items():
        if any(w in lowered for w in words):
            return label
    return "other"


def _order_id(text: str) -> str | None:
    for word in text.replace(".", " ").split():
        if word.startswith("ord_"):
            return word
    return None


async def _refund(ctx: RunContext, text: str, order_id: str) -> dict[str, Any]:
    order = await ctx.call_tool("get_order_summary", {"order_id": order_id})
    damaged = any(w in text.lower() for w in ("broken", "damaged"))
    within = order["days"] <= 30
    section = "3.4" if not within else ("3.2" if damaged else "3.1")
    if "cite nonsense" in text.lower():
        section = "9.9"
    else:
        await ctx.call_tool("get_refund_policy", {"section": section})
    decision = "approve" if within or "approve anyway" in text.lower() else "decline"
    amount = order["total"]
    ctx.record("decision", output=decision, amount=amount)
    outcome: dict[str, Any] = {
        "class": "refund",
        "decision": decision,
        "amount": amount,
        "citation": f"refund_policy.section_{section}@2025-02-01",
    }
    ctx.record("output", **outcome)  # what it would answer, should the write wait for a human
    await ctx.call_tool(
        "create_refund_recommendation",
        {"order_id": order_id, "decision": decision, "amount": amount},
    )
    if decision == "approve" and "submit" in text.lower():
        try:
            await ctx.call_tool("submit_refund", {"order_id": order_id, "amount": amount})
            outcome["action"] = f"refunded ${amount:.2f}"
        except ToolDenied as exc:
            outcome["action"] = f"not refunded: {exc.message}"
    outcome["reply"] = f"We will {decision} your refund for {order_id}."
    return outcome


async def support(ctx: RunContext, ticket: Any) -> dict[str, Any]:
    """Classify a ticket; for refunds, look up the order, cite policy and decide."""
    text = ticket if isinstance(ticket, str) else str(ticket.get("text", ""))
    label = await ctx.step("classify", classify, text)
    ctx.record("classification", output=label, confidence=0.9)
    if "refuse" in text.lower():
        return {"class": label, "refused": True, "reply": "I can't help with that."}
    if label != "refund":
        return {"class": label, "reply": f"Routed to the {label} queue."}
    order_id = _order_id(text)
    if order_id is None:
        ctx.escalate("no order id in a refund request")
    return await _refund(ctx, text, order_id)


def build_support() -> Workflow:
    """The deterministic support workflow."""
    return Workflow(
        "eval_support", support, tools=TOOLS, policy=POLICY, capability="recommend_refund"
    )


SUPPORT = build_support()


def _brain(call: ModelCall) -> Any:
    """A scripted ReAct brain: tool calls follow the words of the request."""
    user = next(m for m in call.messages if getattr(m, "role", "") == "user")
    text = _text(user)
    done = [m for m in call.messages if getattr(m, "role", "") == "tool"]
    if "forbidden" in text and not done:
        return respond(
            tool_calls=[tool_call("submit_refund", {"order_id": "ord_4", "amount": 700.0})]
        )
    if "ghost" in text and not done:
        return respond(tool_calls=[tool_call("delete_account", {"user": "x"})])
    if "lookup" in text and not done:
        return respond(tool_calls=[tool_call("get_order_summary", {"order_id": "ord_1"})])
    if "lookup" in text and len(done) == 1 and "policy" in text:
        return respond(tool_calls=[tool_call("get_refund_policy", {"section": "3.1"})])
    return respond("Done: order ord_1 totals $20.00.")


def _text(message: Message) -> str:
    content = getattr(message, "content", "") or ""
    try:
        data = json.loads(content)
    except json.JSONDecodeError:
        return content
    return str(data.get("text", content)) if isinstance(data, dict) else content


def build_react(model: Any = None) -> ReActAgent:
    """A ReAct agent over the same tools, driven by the scripted brain (or `model`)."""
    return ReActAgent(
        "eval_react",
        model=model or FunctionModel(_brain, name="test:brain"),
        instructions="Answer support requests with the tools you have.",
        tools=TOOLS,
        policy=POLICY,
        capability="tool_use",
    )
