"""The expected outcome of a refund request, by the policy's decision table (policy.md).

This is the generator's own statement of the policy, written from the policy text and
independent of the agent's rules (`brain/rules.py`), so the recommendation eval measures the
agent rather than agreeing with itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from examples.refund_agent.catalogue import Product

__all__ = ["SUPPORTED_REGIONS", "expected_outcome"]

SUPPORTED_REGIONS = ("US", "CA", "EU", "UK", "AU")
_EU_UK = ("EU", "UK")


def _section(number: str) -> str:
    return f"refund_policy.section_{number}"


def expected_outcome(
    *, order: dict[str, Any], product: Product, reason: str, created_at: dt.date
) -> tuple[str, str]:
    """(decision, section) for a refund request about `order` for `reason`."""
    decision, number = _decide(order, product, reason, created_at)
    if decision == "approve" and float(order["total"]) > 500:
        return "escalate", _section("6.3")
    return decision, _section(number)


def _decide(
    order: dict[str, Any], product: Product, reason: str, created_at: dt.date
) -> tuple[str, str]:
    age = (created_at - dt.date.fromisoformat(order["date"])).days
    status = order["status"]
    if order["region"] not in SUPPORTED_REGIONS:
        return "escalate", "4.3"
    if status == "refunded":
        return "decline", "5.7"
    if product.product_class == "gift_card":
        return "decline", "5.6"
    if reason == "not_received":
        return _not_received(status, age)
    if reason == "damaged":
        return ("approve", "5.1") if age <= 30 else ("decline", "3.4")
    if reason == "wrong_item":
        return ("approve", "5.2") if age <= 30 else ("decline", "3.4")
    if status == "processing":
        return "approve", "5.3"
    return _by_class(product, order["region"], status, age)


def _not_received(status: str, age: int) -> tuple[str, str]:
    if status == "processing":
        return "approve", "5.3"
    if status == "shipped":
        return ("approve", "5.3") if age > 14 else ("decline", "5.3")
    return "escalate", "5.3"


def _by_class(product: Product, region: str, status: str, age: int) -> tuple[str, str]:
    cls = product.product_class
    if cls == "subscription":
        ok = product.billing == "annual" and age <= 30
        return ("approve" if ok else "decline"), "3.2"
    if cls == "digital":
        if status == "activated":
            return "decline", "5.5"
        return ("approve", "3.3") if age <= 14 else ("decline", "3.4")
    if cls == "final_sale":
        if region in _EU_UK and not product.personalised and age <= 14:
            return "approve", "4.2"
        return "decline", "5.4"
    if cls == "electronics":
        if age <= 15:
            return "approve", "3.1"
        if region in _EU_UK and age <= 30:
            return "approve", "4.2"
        return "decline", "3.4"
    return ("approve", "3.1") if age <= 30 else ("decline", "3.4")
