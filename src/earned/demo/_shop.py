"""The demo's little shop: orders (with data the agent must never see) and refund policy."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from earned.errors import SemanticToolError
from earned.tools import ToolContext, tool

TODAY = dt.date(2026, 11, 20)

#: Orders as a back office holds them: payment details and addresses included.
ORDERS: dict[str, dict[str, Any]] = {
    "ord_1001": {
        "total": 19.0,
        "date": "2026-11-10",
        "status": "delivered",
        "product_names": ["Desk lamp"],
        "card_number": "4111 1111 1111 1111",
        "address": "12 Rue de la Paix, 75002 Paris",
    },
    "ord_1002": {
        "total": 149.0,
        "date": "2026-11-02",
        "status": "delivered",
        "product_names": ["Standing desk"],
        "card_number": "5500 0000 0000 0004",
        "address": "4 Elm Street, Springfield",
    },
    "ord_1003": {
        "total": 899.0,
        "date": "2026-11-12",
        "status": "delivered",
        "product_names": ["OLED TV"],
        "card_number": "3400 000000 00009",
        "address": "221B Baker Street, London",
    },
    "ord_1004": {
        "total": 22.0,
        "date": "2026-11-15",
        "status": "delivered",
        "product_names": ["Phone case"],
        "card_number": "4000 0566 5566 5556",
        "address": "1 Infinite Loop, Cupertino",
    },
    "ord_1005": {
        "total": 35.0,
        "date": "2026-09-01",
        "status": "delivered",
        "product_names": ["Headphones"],
        "card_number": "4242 4242 4242 4242",
        "address": "10 Downing Street, London",
    },
}

#: Approved refund policy text, by section.
POLICY_SECTIONS: dict[str, dict[str, Any]] = {
    "3.1": {
        "title": "Refund window",
        "window_days": 30,
        "text": "Delivered items may be refunded within 30 days of the order date.",
    },
    "3.2": {
        "title": "Damaged items",
        "window_days": 30,
        "text": "Items that arrive damaged are refunded in full within 30 days.",
    },
    "3.4": {
        "title": "Outside the window",
        "window_days": 0,
        "text": "After 30 days we offer store credit instead of a refund.",
    },
}
POLICY_VERSION = "2026-11-01"

REFUNDS: list[dict[str, Any]] = []


class OrderSummary(TypedDict):
    """The fields the agent may read from an order."""

    total: float
    date: str
    status: str
    product_names: list[str]


@tool(
    risk="read",
    allowed_use="Read order total, date, status and product names",
    blocked_use="Read payment details or full address",
    log=["order_id", "fields_returned"],
)
def get_order_summary(order_id: str) -> OrderSummary:
    """Look up an order's total, date, status and product names by its id (ord_...)."""
    order = ORDERS.get(order_id)
    if order is None:
        raise SemanticToolError(f"there is no order {order_id}", order_id=order_id)
    return order  # type: ignore[return-value]  # the allowlist strips the rest


@tool(
    risk="read",
    cache_ttl=300,
    allowed_use="Retrieve approved policy text by section",
    blocked_use="Retrieve draft policy documents",
    log=["policy_version", "section"],
)
def get_refund_policy(section: str) -> dict[str, Any]:
    """Read an approved refund policy section (3.1 window, 3.2 damaged, 3.4 late)."""
    if section not in POLICY_SECTIONS:
        raise SemanticToolError(f"no approved policy section {section}", section=section)
    return {"section": section, "version": POLICY_VERSION, **POLICY_SECTIONS[section]}


@tool(
    risk="internal_write",
    allowed_use="Write an internal recommendation",
    blocked_use="Submit refund to payment system",
    log=["rationale", "citations", "confidence"],
)
def create_refund_recommendation(
    ctx: ToolContext, order_id: str, decision: str, amount: float, rationale: str, citation: str
) -> dict[str, Any]:
    """Record a refund recommendation (approve or decline) with its rationale and citation."""
    return {
        "recommendation_id": f"rec_{order_id}",
        "decision": decision,
        "amount": amount,
        "idempotency_key": ctx.idempotency_key,
    }


@tool(
    risk="irreversible",
    allowed_use="Submit approved refund under configured limits",
    blocked_use="Submit refund without approval or outside policy",
    log=["approver", "amount", "policy_citation", "final_status"],
)
def submit_refund(ctx: ToolContext, order_id: str, amount: float) -> dict[str, Any]:
    """Send a refund to the payment system. Irreversible."""
    refund = {
        "refund_id": f"ref_{order_id}",
        "order_id": order_id,
        "amount": amount,
        "idempotency_key": ctx.idempotency_key,
    }
    REFUNDS.append(refund)
    return refund


TOOLS = [get_order_summary, get_refund_policy, create_refund_recommendation, submit_refund]


def age_days(date: str) -> int:
    """Days between an order date and the demo's today."""
    return (TODAY - dt.date.fromisoformat(date)).days
