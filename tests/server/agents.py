"""Agents the API tests serve: an echo, a refund that needs a reviewer, a slow one."""

from __future__ import annotations

import asyncio
from typing import Any

from earned.errors import ToolDenied
from earned.policy import Policy, Rule
from earned.runtime import RunContext, Workflow
from earned.tools import ToolContext, tool

#: Every refund really sent, by idempotency key (the "payment system").
REFUNDS: dict[str, float] = {}


@tool(risk="read")
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


async def echo_flow(ctx: RunContext, payload: Any) -> Any:
    text = payload.get("text", "") if isinstance(payload, dict) else str(payload)
    return {"echo": await ctx.call_tool("echo", {"text": str(text)})}


@tool(risk="irreversible")
def submit_refund(ctx: ToolContext, order_id: str, amount: float) -> dict[str, Any]:
    """Send a refund to the payment system."""
    REFUNDS[ctx.idempotency_key] = amount
    return {"refund_id": f"ref_{order_id}", "amount": amount}


async def refund_flow(ctx: RunContext, ticket: dict[str, Any]) -> dict[str, Any]:
    try:
        done = await ctx.call_tool(
            "submit_refund",
            {"order_id": ticket["order_id"], "amount": ticket["amount"]},
            reason="the parcel arrived damaged (policy 3.2)",
        )
    except ToolDenied as exc:
        return {"refunded": False, "why": exc.message}
    return {"refunded": True, **done}


async def slow_flow(ctx: RunContext, payload: Any) -> Any:
    seconds = float(payload.get("seconds", 1)) if isinstance(payload, dict) else 1.0
    await ctx.step("wait", asyncio.sleep, seconds)
    return {"waited": seconds}


ECHO = Workflow(
    "echo",
    echo_flow,
    tools=[echo],
    policy=Policy([Rule.build("echo", "allow", tools=["echo"])]),
    capability="draft_reply",
)
REFUND = Workflow(
    "refund",
    refund_flow,
    tools=[submit_refund],
    policy=Policy([Rule.build("refunds", "allow", tools=["submit_refund"],
                              approvers=["reviewer"])]),
    capability="submit_refund",
)  # fmt: skip
SLOW = Workflow("slow", slow_flow, capability="slow")
AGENTS = [ECHO, REFUND, SLOW]
