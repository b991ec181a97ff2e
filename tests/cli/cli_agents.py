"""Agents the CLI tests load by MODULE:ATTR."""

from __future__ import annotations

from typing import Any

from earned.policy import Policy, Rule
from earned.runtime import RunContext, Workflow
from earned.tools import tool


@tool(risk="read", allowed_use="Echo text back", blocked_use="Anything else", log=["text"])
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


async def echo_flow(ctx: RunContext, payload: Any) -> Any:
    text = payload["text"] if isinstance(payload, dict) else str(payload)
    if text == "escalate":
        ctx.escalate("asked to escalate", reason_code="test")
    return {"echo": await ctx.call_tool("echo", {"text": text})}


ECHO = Workflow(
    "echo_agent",
    echo_flow,
    tools=[echo],
    policy=Policy([Rule.build("echo", "allow", tools=["echo"])]),
)
NOT_AN_AGENT = 42


def make_echo() -> Workflow:
    return ECHO
