"""A small refund workflow whose irreversible call needs a human, for approval tests."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from earned.errors import ToolDenied
from earned.policy import Policy, Rule
from earned.runtime import RunContext, Workflow
from earned.tools import ToolContext, tool

#: Every real execution of a write is appended here (the "external system").
EFFECTS = Path(os.environ.get("EARNED_TEST_EFFECTS", "effects.jsonl"))


def effects() -> list[dict[str, Any]]:
    if not EFFECTS.exists():
        return []
    return [json.loads(line) for line in EFFECTS.read_text().splitlines() if line]


@tool(risk="read")
def get_order(order_id: str) -> dict[str, Any]:
    """Read an order."""
    return {"order_id": order_id, "total": 120.0, "status": "delivered"}


@tool(risk="irreversible")
def submit_refund(ctx: ToolContext, order_id: str, amount: float) -> dict[str, Any]:
    """Send a refund to the payment system."""
    with EFFECTS.open("a") as f:
        f.write(json.dumps({"key": ctx.idempotency_key, "order_id": order_id, "amount": amount}))
        f.write("\n")
    if os.environ.get("EARNED_TEST_DIE_IN_TOOL") == "1":
        os.kill(os.getpid(), signal.SIGKILL)  # the effect happened; the ledger never heard back
    return {"refund_id": f"ref_{order_id}", "amount": amount}


@submit_refund.reconciler
def find_refund(ctx: ToolContext, order_id: str, amount: float) -> dict[str, Any] | None:
    """Look the refund up in the payment system by its idempotency key."""
    for effect in effects():
        if effect["key"] == ctx.idempotency_key:
            return {"refund_id": f"ref_{effect['order_id']}", "amount": effect["amount"]}
    return None


POLICY = Policy(
    [
        Rule.build("reads", "allow", tools=["get_order"]),
        Rule.build("refunds", "allow", tools=["submit_refund"], when={"amount": {"lte": 500}},
                   approvers=["reviewer", "owner"]),
    ],
    name="approval-tests",
)  # fmt: skip


async def refund(ctx: RunContext, ticket: dict[str, Any]) -> dict[str, Any]:
    order = await ctx.call_tool("get_order", {"order_id": ticket["order_id"]})
    amount = ticket.get("amount", order["total"])
    try:
        done = await ctx.call_tool(
            "submit_refund",
            {"order_id": ticket["order_id"], "amount": amount},
            reason="the order arrived damaged (policy 3.2)",
        )
    except ToolDenied as exc:
        return {"refunded": False, "why": exc.message}
    return {"refunded": True, **done}


AGENT = Workflow("approval_refund", refund, tools=[get_order, submit_refund], policy=POLICY,
                 capability="submit_refund")  # fmt: skip
