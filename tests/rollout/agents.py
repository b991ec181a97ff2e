"""A small help-desk agent with one tool per risk class, for stage and flag tests.

Every real execution of a tool is appended to `CALLS`: a simulated or denied call never is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from earned.errors import ToolDenied
from earned.policy import Policy, Rule
from earned.rollout import CapabilityMatrix, CapabilitySpec, CohortSpec
from earned.runtime import RunContext, Workflow
from earned.stages import Stage
from earned.tools import RiskClass, tool

CALLS: list[str] = []


@tool(risk="read")
def lookup(order_id: str) -> dict[str, Any]:
    """Read an order."""
    CALLS.append("lookup")
    return {"order_id": order_id, "total": 40.0}


@tool(risk="internal_write")
def note(order_id: str, text: str) -> dict[str, Any]:
    """Write an internal note."""
    CALLS.append("note")
    return {"note_id": f"n_{order_id}"}


@tool(risk="irreversible")
def pay(order_id: str, amount: float) -> dict[str, Any]:
    """Send money."""
    CALLS.append("pay")
    return {"payment_id": f"p_{order_id}", "amount": amount}


@pay.simulator
def _would_pay(order_id: str, amount: float) -> dict[str, Any]:
    return {"payment_id": "p_simulated", "amount": amount}


POLICY = Policy(
    [
        Rule.build("reads", "allow", tools=["lookup"]),
        Rule.build("notes", "allow", tools=["note"]),
        Rule.build(
            "small-payments",
            "allow",
            tools=["pay"],
            when={"amount": {"lte": 25}},
            stages=["conditional_auto", "autonomous"],
            approval_waived=True,
        ),
        Rule.build(
            "payments",
            "allow",
            tools=["pay"],
            when={"amount": {"lte": 500}},
            approvers=["reviewer"],
        ),
    ],
    name="helpdesk",
)


async def helpdesk(ctx: RunContext, ticket: dict[str, Any]) -> dict[str, Any]:
    """Look the order up, note it, pay; each outcome is reported, none is fatal."""
    out: dict[str, Any] = {}
    for name, args in (
        ("lookup", {"order_id": ticket["order_id"]}),
        ("note", {"order_id": ticket["order_id"], "text": "customer asked"}),
        ("pay", {"order_id": ticket["order_id"], "amount": ticket.get("amount", 10.0)}),
    ):
        try:
            out[name] = await ctx.call_tool(name, args)
        except ToolDenied as exc:
            out[name] = {"denied": exc.message}
    return out


AGENT = Workflow(
    "helpdesk", helpdesk, tools=[lookup, note, pay], policy=POLICY, capability="payments"
)


def matrix(
    payments: Stage = Stage.SHADOW, *, base: Path | None = None, **changes: Any
) -> CapabilityMatrix:
    """Three capabilities, one per tool; `payments` starts at the given stage."""
    payments_row: dict[str, Any] = {
        "name": "payments",
        "owner": "finance",
        "stage": payments,
        "required_eval": "gates.yaml",
        "rollback": "approval required",
        "tools": ("pay",),
        "max_risk": RiskClass.IRREVERSIBLE,
        "cohort": CohortSpec(by="region", values=("US",)),
        **changes,
    }
    return CapabilityMatrix(
        [
            CapabilitySpec(
                name="orders",
                owner="backend",
                stage=Stage.AUTONOMOUS,
                required_eval="gates.yaml",
                rollback="remove lookup",
                tools=("lookup",),
            ),
            CapabilitySpec(
                name="notes",
                owner="support",
                stage=Stage.ASSIST,
                required_eval="gates.yaml",
                rollback="hide notes",
                tools=("note",),
                max_risk=RiskClass.INTERNAL_WRITE,
            ),
            CapabilitySpec(**payments_row),
        ],
        name="helpdesk",
        base=base,
    )
