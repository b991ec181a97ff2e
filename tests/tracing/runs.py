"""Real runs for the tracing tests: a ReAct agent with a scripted model, on the Engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from earned.errors import SemanticToolError
from earned.messages import Usage
from earned.models import PriceTable
from earned.models.pricing import Price
from earned.policy import Policy, Rule
from earned.runtime import Engine, Principal, ReActAgent, RunContext, Workflow
from earned.runtime._events import EventSink
from earned.runtime._gate import EscalatingGate
from earned.store import Database
from earned.testing import ScriptedModel, respond, tool_call
from earned.tools import tool

#: A planted value: it must never leave the process unredacted.
CANARY_EMAIL = "canary.7f3a@example.com"


@tool(risk="read", returns=["total", "status", "email"])
def get_order(order_id: str) -> dict[str, Any]:
    """Read an order's total, status and the customer's email."""
    return {"total": 19.0, "status": "delivered", "email": CANARY_EMAIL, "card_number": "4111"}


@tool(risk="irreversible")
def submit_refund(order_id: str, amount: float, email: str) -> dict[str, Any]:
    """Send a refund and tell the customer by email."""
    return {"refund_id": f"ref_{order_id}", "amount": amount}


@tool(risk="read")
def broken_lookup(key: str) -> str:
    """A lookup whose backend always says no."""
    raise SemanticToolError(f"no record {key}", key=key)


REFUND_POLICY = Policy(
    [
        Rule.build("reads", "allow", tools=["get_order"]),
        Rule.build(
            "small-refunds",
            "allow",
            tools=["submit_refund"],
            when={"amount": {"lte": 25}},
            approval_waived=True,
        ),
        Rule.build(
            "large-refunds",
            "require_approval",
            tools=["submit_refund"],
            when={"amount": {"gt": 25}},
        ),
    ]
)
LOOKUP_POLICY = Policy([Rule.build("lookups", "allow", tools=["broken_lookup"])])
PRICES = PriceTable().with_prices(
    {"test:scripted": Price(input_per_mtok=1000.0, output_per_mtok=2000.0)}
)


def refund_agent(name: str, amount: float) -> ReActAgent:
    """A refund agent whose model reads the order, refunds `amount`, and answers."""
    usage = Usage(input_tokens=120, output_tokens=30, requests=1)
    model = ScriptedModel(
        [
            respond(tool_calls=[tool_call("get_order", {"order_id": "ord_1"})], usage=usage),
            respond(
                tool_calls=[
                    tool_call(
                        "submit_refund",
                        {"order_id": "ord_1", "amount": amount, "email": CANARY_EMAIL},
                    )
                ],
                usage=usage,
            ),
            respond(f"Refunded ${amount:.2f}; a receipt went to {CANARY_EMAIL}.", usage=usage),
        ]
    )
    return ReActAgent(
        name,
        model=model,
        instructions="Refund orders with the tools you have.",
        tools=[get_order, submit_refund],
        policy=REFUND_POLICY,
    )


async def lookup_flow(ctx: RunContext, key: str) -> str:
    """A workflow that fails: its only tool call raises a semantic error."""
    return await ctx.call_tool("broken_lookup", {"key": key})


LOOKUP = Workflow("lookup", lookup_flow, tools=[broken_lookup], policy=LOOKUP_POLICY)


@dataclass(frozen=True, kw_only=True)
class Recorded:
    """Where the recorded runs are, and their ids."""

    db: Database
    url: str
    completed: str
    escalated: str
    failed: str


async def record_runs(url: str, *, sinks: tuple[EventSink, ...] = ()) -> dict[str, str]:
    """Run a completed refund, an escalated one, and a failing workflow; their run ids."""
    small, large = refund_agent("refunds", 19.0), refund_agent("refunds_large", 140.0)
    principal = Principal(user="u_42", role="operator", tenant="acme")
    agents = [small, large, LOOKUP]
    gate = EscalatingGate()  # a call that needs approval escalates the run (no waiting)
    async with Engine(agents, database_url=url, prices=PRICES, sinks=sinks, approvals=gate) as e:
        done = await e.run(
            small,
            f"Refund ord_1 please, write to {CANARY_EMAIL}",
            principal=principal,
            capability="submit_refund",
            request_id="req-1",
            correlation_id="conv-1",
        )
        held = await e.run(large, "Refund ord_1: 140 dollars", principal=principal)
        failed = await e.run(LOOKUP, "k1", principal=Principal(user="u_7", tenant="globex"))
    assert (done.status, held.status, failed.status) == ("completed", "escalated", "failed")
    return {"completed": done.run_id, "escalated": held.run_id, "failed": failed.run_id}
