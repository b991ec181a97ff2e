"""Agents for the shadow and replay tests (importable by the CLI as `tests.replay.agents:...`).

- `refund_agent()`: the example's offline refund agent over the order database and the
  classifier cache named by EARNED_TEST_ORDERS and EARNED_TEST_CLASSIFIER_CACHE.
- `payout_agent(model=...)`: a ReAct agent whose model looks an order up, then pays it out;
  how much it pays depends on its instructions ("generous" pays the whole total). Every real
  `pay` is appended to EARNED_TEST_EFFECTS: a test fails if a rehearsal ever writes there.
- `forbidden_writes`: a workflow whose write tools fail the test if they are ever called.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

from examples.refund_agent.agent import build_agent
from examples.refund_agent.orders import OrderDatabase

from earned.messages import SystemMessage, ToolResultMessage
from earned.models import Model
from earned.policy import Policy, Rule
from earned.runtime import ReActAgent, RunContext, Workflow
from earned.testing import FunctionModel, ModelCall, respond, tool_call
from earned.tools import ToolContext, tool

PAYOUT_INSTRUCTIONS = "Look the order up, then pay out what the policy allows: half the total."


def refund_agent() -> Workflow:
    """The offline refund agent over the test's order database."""
    orders = OrderDatabase(Path(os.environ["EARNED_TEST_ORDERS"]))
    return build_agent(orders=orders, cache_dir=Path(os.environ["EARNED_TEST_CLASSIFIER_CACHE"]))


def effects() -> list[dict[str, Any]]:
    """Every payout that really ran."""
    path = Path(os.environ["EARNED_TEST_EFFECTS"])
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


@tool(risk="read")
def lookup(order_id: str) -> dict[str, Any]:
    """Read an order's total and the customer's e-mail address."""
    return {"order_id": order_id, "total": 80.0, "email": "ada@example.com"}


@tool(risk="irreversible")
def pay(ctx: ToolContext, order_id: str, amount: float) -> dict[str, Any]:
    """Pay money out to the customer (irreversible)."""
    with Path(os.environ["EARNED_TEST_EFFECTS"]).open("a") as f:
        f.write(json.dumps({"run_id": ctx.run_id, "order_id": order_id, "amount": amount}) + "\n")
    return {"payout_id": f"pay_{order_id}", "amount": amount}


@tool(risk="read")
def escalate_case(order_id: str) -> dict[str, Any]:
    """Hand the order to a human."""
    return {"queued": order_id}


PAYOUT_POLICY = Policy(
    [
        Rule.build("reads", "allow", tools=["lookup", "escalate_case"]),
        Rule.build("payouts", "allow", tools=["pay"], when={"amount": {"lte": 100}},
                   approvers=["reviewer"]),
    ],
    name="payout",
)  # fmt: skip


def _system(call: ModelCall) -> str:
    return next((m.content for m in call.messages if isinstance(m, SystemMessage)), "")


def payout_brain(call: ModelCall) -> Any:
    """Look up, then pay half (or, when told to be generous, all) of the total."""
    results = [m for m in call.messages if isinstance(m, ToolResultMessage)]
    if not results:
        ticket = call.messages[1].content or ""
        order_id = "ord_1" if "ord_1" in ticket else "ord_2"
        return respond(tool_calls=[tool_call("lookup", {"order_id": order_id}, id="c1")])
    if len(results) == 1:
        found = _found(results[0].content)
        share = 1.0 if "generous" in _system(call) else 0.5
        arguments = {"order_id": found["order_id"], "amount": found["total"] * share}
        return respond(tool_calls=[tool_call("pay", arguments, id="c2")])
    return respond("done")


def cautious_brain(call: ModelCall) -> Any:
    """Another model: looks up, then hands the case to a human instead of paying."""
    results = [m for m in call.messages if isinstance(m, ToolResultMessage)]
    if not results:
        return respond(tool_calls=[tool_call("lookup", {"order_id": "ord_1"}, id="c1")])
    if len(results) == 1:
        return respond(tool_calls=[tool_call("escalate_case", {"order_id": "ord_1"}, id="c2")])
    return respond("handed over")


def _found(content: str) -> dict[str, Any]:
    start, end = content.index("{"), content.rindex("}") + 1
    return json.loads(content[start:end])


def payout_agent(model: Model | str | None = None) -> ReActAgent:
    """The payout agent; by default on `payout_brain` (a FunctionModel)."""
    return ReActAgent(
        "payout",
        model=model or FunctionModel(payout_brain, name="test:payout"),
        instructions=PAYOUT_INSTRUCTIONS,
        tools=[lookup, pay, escalate_case],
        policy=PAYOUT_POLICY,
        capability="payouts",
    )


# -- a workflow whose writes must never run -----------------------------------------------


@tool(risk="internal_write")
def write_note(text: str) -> dict[str, Any]:
    """Write an internal note (a shadow run must never get here)."""
    raise AssertionError(f"write_note ran in a test that forbids it: {text!r}")


@tool(risk="irreversible")
def move_money(amount: float) -> dict[str, Any]:
    """Move money (a shadow run must never get here)."""
    raise AssertionError(f"move_money ran in a test that forbids it: {amount!r}")


@tool(risk="read")
def today() -> str:
    """Today's date, from the real clock."""
    return dt.date.today().isoformat()


OPEN_POLICY = Policy(
    [
        Rule.build("everything", "allow", tools=["write_note", "move_money", "today"],
                   approval_waived=True),
    ],
    name="wide-open",
)  # fmt: skip


async def _forbidden(ctx: RunContext, data: dict[str, Any]) -> dict[str, Any]:
    day = await ctx.call_tool("today", {})
    note = await ctx.call_tool("write_note", {"text": data["text"]})
    paid = await ctx.call_tool("move_money", {"amount": data["amount"]})
    ctx.record("decision", output="approve", amount=data["amount"])
    return {"decision": "approve", "day": day, "note": note, "paid": paid}


FORBIDDEN_WRITES = Workflow(
    "forbidden_writes",
    _forbidden,
    tools=[today, write_note, move_money],
    policy=OPEN_POLICY,
    capability="notes",
)


# -- a workflow with a clock and a logged read ----------------------------------------------


@tool(risk="read", log=["total", "currency"])
def order_total(order_id: str) -> dict[str, Any]:
    """An order's total (both fields are logged, so the trace alone can answer it)."""
    return {"total": 80.0 if order_id == "ord_1" else 12.0, "currency": "USD"}


async def _clocked(ctx: RunContext, data: dict[str, Any]) -> dict[str, Any]:
    stamp = await ctx.step("clock", time.time_ns)
    order = await ctx.call_tool("order_total", {"order_id": data["order_id"]})
    return {"stamp": stamp, "total": order["total"], "decision": "approve"}


CLOCKED = Workflow(
    "clocked",
    _clocked,
    tools=[order_total],
    policy=Policy([Rule.build("reads", "allow", tools=["order_total"])], name="reads"),
    capability="totals",
)
