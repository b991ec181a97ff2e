"""The demo agent: a static support workflow (seed 000's first production stage).

classify -> (refund only) read the order -> read the approved policy section ->
recommend -> submit the refund if policy allows -> draft a reply citing the policy.
The classifier is deterministic keyword rules: honest, offline, and replaced by a trained
classifier in the refund example.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from earned.demo._shop import TOOLS, age_days
from earned.errors import ToolDenied
from earned.policy import Policy
from earned.runtime import RunContext, Workflow

_ORDER_ID = re.compile(r"\bord_\d{4}\b")
_CLASS_WORDS: dict[str, tuple[str, ...]] = {
    "refund": ("refund", "money back", "return", "broken", "damaged", "reembolso", "rembourse"),
    "billing": ("invoice", "charge", "charged", "billing", "payment"),
    "account": ("password", "login", "log in", "account", "email address"),
    "technical": ("error", "crash", "bug", "app", "not working"),
}


def classify(text: str) -> dict[str, Any]:
    """Score each class by keyword hits; the best wins, ties and misses go to `other`."""
    lowered = text.lower()
    scores = {label: sum(w in lowered for w in words) for label, words in _CLASS_WORDS.items()}
    best = max(scores, key=lambda label: scores[label])
    total = sum(scores.values())
    if scores[best] == 0 or list(scores.values()).count(scores[best]) > 1:
        return {"label": "other", "confidence": 0.0}
    return {"label": best, "confidence": round(scores[best] / total, 2)}


async def support_ticket(ctx: RunContext, ticket: dict[str, Any]) -> dict[str, Any]:
    """Handle one support ticket."""
    text = str(ticket.get("text", ""))
    verdict = await ctx.step("classify_ticket", classify, text)
    ctx.record("classification", output=verdict["label"], confidence=verdict["confidence"])
    if verdict["label"] != "refund":
        return {"class": verdict["label"], "action": f"routed to the {verdict['label']} queue"}
    match = _ORDER_ID.search(text)
    if match is None:
        ctx.escalate("the ticket asks for a refund but names no order id", missing="order_id")
    order_id = match.group(0)
    order = await ctx.call_tool("get_order_summary", {"order_id": order_id})
    damaged = any(w in text.lower() for w in ("broken", "damaged"))
    within = age_days(order["date"]) <= 30 and order["status"] == "delivered"
    section = "3.4" if not within else ("3.2" if damaged else "3.1")
    policy = await ctx.call_tool("get_refund_policy", {"section": section})
    decision = "approve" if within else "decline"
    citation = f"refund_policy.section_{section}@{policy['version']}"
    await ctx.call_tool(
        "create_refund_recommendation",
        {
            "order_id": order_id,
            "decision": decision,
            "amount": order["total"],
            "rationale": policy["text"],
            "citation": citation,
        },
    )
    outcome = {
        "class": "refund",
        "order_id": order_id,
        "recommendation": decision,
        "citation": citation,
    }
    if decision == "approve":
        try:
            refund = await ctx.call_tool(
                "submit_refund",
                {"order_id": order_id, "amount": order["total"]},
                reason=f"{policy['title']}: {policy['text']}",
            )
            outcome["action"] = f"refunded ${refund['amount']:.2f} ({refund['refund_id']})"
        except ToolDenied as exc:
            outcome["action"] = f"sent to finance: {exc.message}"
    else:
        outcome["action"] = "declined: offered store credit"
    outcome["draft"] = f"{policy['text']} [{citation}]"
    return outcome


def build_agent() -> Workflow:
    """The demo agent with its tools and the shipped policy file."""
    policy_file = resources.files("earned.demo").joinpath("policy.yaml")
    policy = Policy.from_yaml(policy_file.read_text(), tools=TOOLS, source="demo/policy.yaml")
    return Workflow(
        "demo_support", support_ticket, tools=TOOLS, policy=policy, capability="submit_refund"
    )
