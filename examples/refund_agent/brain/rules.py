"""Refund recommendations from the policy's decision rules, applied to the order data.

The rules follow policy.md section by section. Their inputs are facts the agent read
through its tools (the order's total, date and status; the product's class from the
catalogue; the region) plus the reason the ticket gives. Nothing a model says enters them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["SUPPORTED_REGIONS", "Decision", "Recommendation", "recommend", "window_decision"]

Decision = Literal["approve", "decline", "escalate"]
SUPPORTED_REGIONS = frozenset({"US", "CA", "EU", "UK", "AU"})
_EU_UK = frozenset({"EU", "UK"})
#: Refunds above this are decided by finance (section 6.3).
FINANCE_THRESHOLD = 500.0
#: Days after the order date within which a reason-based exception applies (5.1, 5.2).
EXCEPTION_WINDOW = 30
#: Days an order may be in transit before it counts as lost (5.3).
TRANSIT_DAYS = 14


@dataclass(frozen=True, kw_only=True)
class Recommendation:
    """A decision, the section that decides it, the amount and a one-line rationale."""

    decision: Decision
    section: str
    amount: float
    rationale: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "decision": self.decision,
            "section": self.section,
            "amount": self.amount,
            "rationale": self.rationale,
        }


def recommend(
    *, order: dict[str, Any], product: dict[str, Any], region: str, reason: str, on: dt.date
) -> Recommendation:
    """Apply the policy to one order. `product` is get_refund_policy's product description."""
    age = (on - dt.date.fromisoformat(order["date"])).days
    total = float(order["total"])
    decision, section, why = _apply(order["status"], product, region.upper(), reason, age)
    if decision == "approve" and total > FINANCE_THRESHOLD:
        return Recommendation(
            decision="escalate",
            section="6.3",
            amount=total,
            rationale=f"eligible under section {section} ({why}), but ${total:.2f} is above "
            f"${FINANCE_THRESHOLD:.0f}: finance decides",
        )
    return Recommendation(decision=decision, section=section, amount=total, rationale=why)


def _apply(
    status: str, product: dict[str, Any], region: str, reason: str, age: int
) -> tuple[Decision, str, str]:
    cls = product.get("product_class")
    if region not in SUPPORTED_REGIONS:
        return "escalate", "4.3", f"region {region} is outside the policy's regions"
    if status == "refunded":
        return "decline", "5.7", "the order was already refunded"
    if cls == "gift_card":
        return "decline", "5.6", "gift cards are never refunded"
    if reason == "not_received":
        return _not_received(status, age)
    if reason in ("damaged", "wrong_item"):
        section = "5.1" if reason == "damaged" else "5.2"
        what = "damaged or defective" if reason == "damaged" else "the wrong item"
        if age <= EXCEPTION_WINDOW:
            return "approve", section, f"{what}, reported {age} days after the order"
        return "decline", "3.4", f"{what}, but reported {age} days after the order (limit 30)"
    if status == "processing":
        return "approve", "5.3", "the order has not shipped yet: cancel and refund"
    return _window(cls, product, status, region, age)


def _not_received(status: str, age: int) -> tuple[Decision, str, str]:
    if status == "processing":
        return "approve", "5.3", "the order has not shipped yet: cancel and refund"
    if status == "shipped":
        if age > TRANSIT_DAYS:
            return "approve", "5.3", f"shipped {age} days ago and not arrived"
        return "decline", "5.3", f"shipped {age} days ago: still in transit, ask to wait"
    return "escalate", "5.3", "the carrier shows it delivered: a carrier investigation"


def window_decision(
    product: dict[str, Any], status: str, region: str, age: int
) -> tuple[Decision, str]:
    """What the refund windows (sections 3.x, 4.2) decide from the order data alone.

    The decision and its section for a change-of-mind return `age` days after the order;
    `product` needs `product_class`, and `billing` / `personalised` where they apply.
    """
    decision, section, _ = _window(product.get("product_class"), product, status, region, age)
    return decision, section


def _window(
    cls: Any, product: dict[str, Any], status: str, region: str, age: int
) -> tuple[Decision, str, str]:
    if cls == "subscription":
        if product.get("billing") == "annual" and age <= 30:
            return "approve", "3.2", f"annual plan, {age} days after purchase or renewal"
        if product.get("billing") == "annual":
            return "decline", "3.2", f"annual plan, {age} days after purchase (limit 30)"
        return "decline", "3.2", "monthly plans are not refunded for the current month"
    if cls == "digital":
        if status == "activated":
            return "decline", "5.5", "the digital good was activated"
        if age <= 14:
            return "approve", "3.3", f"not activated, {age} days after the order"
        return "decline", "3.4", f"{age} days after the order (limit 14)"
    if cls == "final_sale":
        if region in _EU_UK and not product.get("personalised") and age <= 14:
            return "approve", "4.2", f"EU/UK withdrawal right, {age} days after the order"
        return "decline", "5.4", "final-sale items are not refunded for a change of mind"
    limit = 15 if cls == "electronics" else 30
    if age <= limit:
        return "approve", "3.1", f"{age} days after the order, within the {limit}-day window"
    if cls == "electronics" and region in _EU_UK and age <= 30:
        return "approve", "4.2", f"{age} days after the order, within the EU/UK 30-day window"
    return "decline", "3.4", f"{age} days after the order, outside the {limit}-day window"
