"""The workload every configuration of bench/bench_step_overhead.py runs, in plain Python.

No imports beyond the standard library: the anchors' venv and the project's interpreter
both load this file, so every configuration calls the very same tool bodies and follows
the very same script.

The agent: a support agent with five in-memory tools, three reads (`get_order`,
`get_customer`, `get_policy`) and two internal writes (`add_note`, `set_tag`). The scripted
model answers instantly and asks for **one tool call per turn**, in the order of `SCRIPT`,
then answers in text: six model calls and five tool calls, eleven steps per run.
"""

from __future__ import annotations

from typing import Any

ORDERS: dict[str, dict[str, Any]] = {
    "ord_1": {"order_id": "ord_1", "customer_id": "cus_1", "total": 19.0, "status": "delivered"},
}
CUSTOMERS: dict[str, dict[str, Any]] = {
    "cus_1": {"customer_id": "cus_1", "tier": "gold", "orders": 12},
}
POLICIES: dict[str, dict[str, Any]] = {
    "refunds": {"topic": "refunds", "section": "3.2", "text": "Damaged items are refunded."},
}
NOTES: dict[str, str] = {}  # internal writes land here (bounded: keyed by order)
TAGS: dict[str, str] = {}

INSTRUCTIONS = "You handle support tickets with the tools you have."
PROMPT = "My order ord_1 arrived damaged. Can you help?"
FINAL = "I noted the damage on ord_1 and tagged it for a refund under policy 3.2."

#: (tool, arguments) the model asks for, one per turn.
SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("get_order", {"order_id": "ord_1"}),
    ("get_customer", {"customer_id": "cus_1"}),
    ("get_policy", {"topic": "refunds"}),
    ("add_note", {"order_id": "ord_1", "text": "Customer reports the item arrived damaged."}),
    ("set_tag", {"order_id": "ord_1", "tag": "refund-review"}),
]
READS = ("get_order", "get_customer", "get_policy")
WRITES = ("add_note", "set_tag")
MODEL_CALLS = len(SCRIPT) + 1
TOOL_CALLS = len(SCRIPT)
STEPS = MODEL_CALLS + TOOL_CALLS  # what "per step" divides by


def get_order(order_id: str) -> dict[str, Any]:
    """Read an order's customer, total and status."""
    return dict(ORDERS[order_id])


def get_customer(customer_id: str) -> dict[str, Any]:
    """Read a customer's tier and order count."""
    return dict(CUSTOMERS[customer_id])


def get_policy(topic: str) -> dict[str, Any]:
    """Read the policy section on a topic."""
    return dict(POLICIES[topic])


def add_note(order_id: str, text: str) -> dict[str, Any]:
    """Add an internal note to an order."""
    NOTES[order_id] = text
    return {"order_id": order_id, "noted": True}


def set_tag(order_id: str, tag: str) -> dict[str, Any]:
    """Tag an order for a team's queue."""
    TAGS[order_id] = tag
    return {"order_id": order_id, "tag": tag}


TOOLS = {f.__name__: f for f in (get_order, get_customer, get_policy, add_note, set_tag)}


def next_action(tool_results_seen: int) -> tuple[str, dict[str, Any]] | None:
    """The scripted model: the next tool call after that many tool results, or None (answer)."""
    if tool_results_seen < len(SCRIPT):
        return SCRIPT[tool_results_seen]
    return None
