"""Agents that handle planted canary values: in the input, a tool argument, a tool result
and the output. Redaction is right when none of the canaries can be found afterwards."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from earned.policy import Policy, Rule
from earned.runtime import ReActAgent, RunContext, Workflow
from earned.testing import ScriptedModel, respond, tool_call
from earned.tools import tool


@dataclass(frozen=True)
class Canaries:
    """One planted value of each kind, and a way to search text for any of them."""

    email: str = "canary.person@example.org"
    card: str = "4539 1488 0343 6467"
    api_key: str = "sk-proj-Cn4ryK3yZq9W2x7Lm5Pt8Rv1Bn6Hd3Fj0Gs"
    iban: str = "GB82 WEST 1234 5698 7654 32"
    ssn: str = "219-09-9999"
    phone: str = "+1 (415) 555-0199"

    def variants(self) -> dict[str, list[str]]:
        """Each canary as written and with its separators removed."""
        out: dict[str, list[str]] = {}
        for name, value in vars(self).items():
            compact = re.sub(r"[^0-9A-Za-z]", "", value)
            out[name] = [value, compact] if name != "email" else [value, value.lower()]
        return out

    def found_in(self, text: str) -> list[str]:
        """The names of the canaries that occur in `text` in any spelling."""
        squeezed = re.sub(r"[^0-9A-Za-z@.]", "", text)
        return sorted(
            name
            for name, spellings in self.variants().items()
            if any(s in text or s in squeezed for s in spellings)
        )

    def ticket(self) -> dict[str, Any]:
        """A run input with three canaries in it."""
        return {
            "text": f"Hi, I'm {self.email}, SSN {self.ssn}. Call me on {self.phone}.",
            "order_id": "ord_1001",
        }


CANARIES = Canaries()


@tool(risk="read", log=["email", "card_number", "iban"])
def lookup_customer(email: str) -> dict[str, Any]:
    """Find the customer with this e-mail address."""
    return {
        "email": email,
        "card_number": CANARIES.card,
        "iban": CANARIES.iban,
        "integration_key": CANARIES.api_key,
        "order_id": "ord_1001",
    }


@tool(risk="internal_write", sensitive=["customer_note"])
def add_note(order_id: str, customer_note: str) -> dict[str, Any]:
    """Add an internal note to an order."""
    return {"order_id": order_id, "saved": True, "echo": customer_note}


POLICY = Policy(
    [Rule.build("canary-tools", "allow", tools=["lookup_customer", "add_note"])],
    name="canaries",
)


def canary_agent(name: str = "canary_react") -> ReActAgent:
    """A ReAct agent whose model passes canaries into tool arguments and its answer."""
    model = ScriptedModel(
        [
            respond(tool_calls=[tool_call("lookup_customer", {"email": CANARIES.email}, id="c1")]),
            respond(
                tool_calls=[
                    tool_call(
                        "add_note",
                        {
                            "order_id": "ord_1001",
                            "customer_note": f"key {CANARIES.api_key}, ssn {CANARIES.ssn}",
                        },
                        id="c2",
                    )
                ]
            ),
            respond(f"Refund sent to {CANARIES.iban} for {CANARIES.email}, card {CANARIES.card}."),
        ]
    )
    return ReActAgent(
        name,
        model=model,
        instructions="Help the customer.",
        tools=[lookup_customer, add_note],
        policy=POLICY,
    )


async def _escalating_flow(ctx: RunContext, ticket: dict[str, Any]) -> Any:
    found = await ctx.call_tool("lookup_customer", {"email": CANARIES.email})
    ctx.escalate(
        f"refund to {found['iban']} needs a human; customer phone {CANARIES.phone}",
        card=found["card_number"],
    )


ESCALATING = Workflow(
    "canary_escalation", _escalating_flow, tools=[lookup_customer, add_note], policy=POLICY
)
