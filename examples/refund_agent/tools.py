"""The refund agent's four tools (seed 000's tool table), over the order database.

| tool | risk | returns |
|---|---|---|
| get_order_summary | read | total, date, status, product names (never payment or address) |
| get_refund_policy | read | approved policy sections by product and region, with version and ids |
| create_refund_recommendation | internal_write | the stored recommendation's id |
| submit_refund | irreversible | the refund's id and final status |

Tools are built per order database (`build_tools`), so tests and services pass their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from examples.refund_agent.brain.policy_doc import PolicyDocument
from examples.refund_agent.brain.rules import window_decision
from examples.refund_agent.catalogue import find_product
from examples.refund_agent.orders import OrderDatabase

from earned.errors import SemanticToolError
from earned.policy import CallRequest
from earned.tools import Tool, ToolContext, tool

__all__ = ["RefundTools", "build_tools", "exact_policy_match", "sections_for"]

_COMMON = ("3.4", "5.1", "5.2", "5.3", "5.7", "6.1", "6.2", "6.3", "6.4", "7.2", "7.3", "7.4")
_BY_CLASS: dict[str, tuple[str, ...]] = {
    "standard": ("2.1", "3.1"),
    "electronics": ("2.2", "3.1"),
    "digital": ("2.3", "3.3", "5.5"),
    "subscription": ("2.4", "3.2"),
    "final_sale": ("2.5", "5.4"),
    "gift_card": ("2.6", "5.6"),
}
#: Sections whose conditions the order data alone decides (section 6.1's "exact match").
_DATA_DECIDED: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "3.1": (frozenset({"standard", "electronics"}), frozenset({"delivered"})),
    "3.2": (frozenset({"subscription"}), frozenset({"active"})),
    "3.3": (frozenset({"digital"}), frozenset({"not_activated"})),
    "4.2": (frozenset({"electronics", "final_sale"}), frozenset({"delivered"})),
}


class OrderSummary(TypedDict):
    """The only fields of an order the agent may read (seed 000's tool table)."""

    total: float
    date: str
    status: str
    product_names: list[str]


def _region_section(region: str) -> str:
    region = region.upper()
    return "4.2" if region in ("EU", "UK") else "4.1" if region in ("US", "CA", "AU") else "4.3"


def sections_for(product_class: str, region: str) -> list[str]:
    """The section numbers that apply to a product class in a region, in document order."""
    numbers = {*_COMMON, *_BY_CLASS[product_class], _region_section(region)}
    return sorted(numbers, key=lambda n: tuple(int(p) for p in n.split(".")))


def _normalise(order_id: str) -> str:
    value = order_id.strip().lower().lstrip("#")
    return value if value.startswith("ord_") else f"ord_{value}"


@dataclass(frozen=True, kw_only=True)
class RefundTools:
    """The four tools, bound to one order database and one policy document."""

    get_order_summary: Tool[..., Any]
    get_refund_policy: Tool[..., Any]
    create_refund_recommendation: Tool[..., Any]
    submit_refund: Tool[..., Any]

    @property
    def all(self) -> list[Tool[Any, Any]]:
        """Every tool, in the table's order."""
        return [
            self.get_order_summary,
            self.get_refund_policy,
            self.create_refund_recommendation,
            self.submit_refund,
        ]

    @property
    def read(self) -> list[Tool[Any, Any]]:
        """The read-only tools (what the LLM brain's tool-assisted stage may call)."""
        return [self.get_order_summary, self.get_refund_policy]


def _check_citation(document: PolicyDocument, citation: str, **details: Any) -> None:
    if document.resolve(citation) is None:
        raise SemanticToolError(
            f"{citation!r} is not an approved policy section at version {document.version}; "
            "cite refund_policy.section_X.Y@VERSION as get_refund_policy returned it",
            citation=citation,
            policy_version=document.version,
            **details,
        )


def build_tools(orders: OrderDatabase, document: PolicyDocument) -> RefundTools:
    """Create the tools over `orders` and `document`."""
    return RefundTools(
        get_order_summary=_order_tool(orders),
        get_refund_policy=_policy_tool(document),
        create_refund_recommendation=_recommendation_tool(orders, document),
        submit_refund=_refund_tool(orders, document),
    )


def _order_tool(orders: OrderDatabase) -> Tool[..., Any]:
    @tool(
        risk="read",
        allowed_use="Read order total, date, status, and product names",
        blocked_use="Read payment details or full address",
        log=["ticket_id", "order_id"],
    )
    def get_order_summary(order_id: str, ticket_id: str = "") -> OrderSummary:
        """Look up one order's total, date, status and product names.

        Args:
            order_id: The order id, e.g. ord_12345.
            ticket_id: The support ticket this lookup serves (for the audit log).
        """
        del ticket_id
        order = orders.order(_normalise(order_id))
        if order is None:
            raise SemanticToolError(
                f"there is no order {order_id!r}; ask the customer to check the order number",
                order_id=order_id,
            )
        return order  # type: ignore[return-value]  # the allowlist keeps the four fields

    return get_order_summary


def _policy_tool(document: PolicyDocument) -> Tool[..., Any]:
    @tool(
        risk="read",
        cache_ttl=300,
        allowed_use="Retrieve approved policy text by product and region",
        blocked_use="Retrieve draft policy documents",
        log=["policy_version", "section_ids", "product", "region"],
    )
    def get_refund_policy(
        region: str, product: str | None = None, section: str | None = None
    ) -> dict[str, Any]:
        """Read the approved refund policy that applies to a product in a region.

        Args:
            region: The customer's region: US, CA, EU, UK, AU (others are escalated).
            product: A product name as get_order_summary returns it.
            section: One section number instead, e.g. 7.3.
        """
        if section is not None:
            found = document.resolve(section)
            if found is None:
                raise SemanticToolError(
                    f"section {section!r} is not an approved section of the refund policy",
                    section=section,
                )
            numbers, catalogue = [found.number], {}
        elif product is not None:
            item = find_product(product)
            if item is None:
                raise SemanticToolError(f"no product named {product!r}", product=product)
            numbers = sections_for(item.product_class, region)
            catalogue = {
                "product_class": item.product_class,
                "billing": item.billing,
                "personalised": item.personalised,
            }
        else:
            raise SemanticToolError("give a product or a section number", region=region)
        chosen = [document.section(n) for n in numbers]
        return {
            "policy_version": document.version,
            "region": region.upper(),
            **catalogue,
            "section_ids": [s.id for s in chosen if s is not None],
            "sections": [
                {"id": s.id, "number": s.number, "title": s.title, "text": s.text}
                for s in chosen
                if s is not None
            ],
        }

    return get_refund_policy


def _recommendation_tool(orders: OrderDatabase, document: PolicyDocument) -> Tool[..., Any]:
    @tool(
        risk="internal_write",
        allowed_use="Write an internal recommendation",
        blocked_use="Submit refund to payment system",
        log=["decision", "rationale", "citations", "confidence"],
    )
    def create_refund_recommendation(
        ctx: ToolContext,
        order_id: str,
        decision: Literal["approve", "decline", "escalate"],
        amount: float,
        rationale: str,
        citations: list[str],
        confidence: float,
    ) -> dict[str, Any]:
        """Record an internal refund recommendation for a reviewer; it refunds nothing.

        Args:
            ctx: Injected by earned: the run, the call and the write's idempotency key.
            order_id: The order the recommendation is about.
            decision: approve, decline or escalate.
            amount: The refund amount the recommendation is about.
            rationale: Why, in one or two sentences.
            citations: Policy sections as refund_policy.section_X.Y@VERSION.
            confidence: How sure the recommender is (0 to 1); recorded, never a permission.
        """
        for citation in citations:
            _check_citation(document, citation, order_id=order_id)
        stored = orders.add_recommendation(
            idempotency_key=ctx.idempotency_key or ctx.call_id,
            order_id=_normalise(order_id),
            decision=decision,
            amount=amount,
            rationale=rationale,
            citations=citations,
            confidence=confidence,
            run_id=ctx.run_id,
        )
        return {"recommendation_id": stored["recommendation_id"], "decision": decision}

    @create_refund_recommendation.simulator
    def _simulated_recommendation(order_id: str, decision: str, **_: Any) -> dict[str, Any]:
        """What a shadow (or assist) stage answers instead: nothing is stored."""
        del order_id
        return {"recommendation_id": "rec_simulated", "decision": decision}

    return create_refund_recommendation


def _refund_tool(orders: OrderDatabase, document: PolicyDocument) -> Tool[..., Any]:
    @tool(
        risk="irreversible",
        allowed_use="Submit approved refund under configured limits",
        blocked_use="Submit refund without approval or outside policy",
        log=["amount", "policy_citation", "final_status"],
    )
    def submit_refund(
        ctx: ToolContext, order_id: str, amount: float, policy_citation: str
    ) -> dict[str, Any]:
        """Send a refund to the payment system. Irreversible; policy decides who approves.

        Args:
            ctx: Injected by earned: the run, the call and the write's idempotency key.
            order_id: The order to refund.
            amount: The amount, never above the order total.
            policy_citation: The section that allows it, refund_policy.section_X.Y@VERSION.
        """
        _check_citation(document, policy_citation, order_id=order_id)
        order = orders.order(_normalise(order_id))
        if order is None:
            raise SemanticToolError(f"there is no order {order_id!r}", order_id=order_id)
        if not 0 < amount <= float(order["total"]):
            raise SemanticToolError(
                f"refund amount {amount} must be above 0 and at most the order total "
                f"{order['total']}",
                amount=amount,
                total=order["total"],
            )
        if order["status"] == "refunded" and not _refunded_by(orders, ctx):
            raise SemanticToolError(f"order {order_id} was already refunded", order_id=order_id)
        refund, _ = orders.add_refund(
            idempotency_key=ctx.idempotency_key or ctx.call_id,
            order_id=order["order_id"],
            amount=amount,
            policy_citation=policy_citation,
            run_id=ctx.run_id,
        )
        return {
            "refund_id": refund["refund_id"],
            "order_id": refund["order_id"],
            "amount": refund["amount"],
            "policy_citation": policy_citation,
            "final_status": "submitted",
        }

    @submit_refund.simulator
    def _simulated_refund(order_id: str, amount: float, policy_citation: str) -> dict[str, Any]:
        """What a shadow (or assist) stage answers instead: no money moves."""
        return {
            "refund_id": "ref_simulated",
            "order_id": order_id,
            "amount": amount,
            "policy_citation": policy_citation,
            "final_status": "simulated",
        }

    return submit_refund


def _window_approves(
    request: CallRequest, order: dict[str, Any], product: dict[str, Any], section: str
) -> bool:
    """The windows decide `approve` under `section` for this order on the ticket's date."""
    try:
        on = dt.date.fromisoformat(str(request.attributes["created_at"])[:10])
        age = (on - dt.date.fromisoformat(str(order["date"])[:10])).days
    except (KeyError, ValueError):
        return False
    region = str(request.attributes.get("region") or order.get("region") or "").upper()
    return window_decision(product, order["status"], region, age) == ("approve", section)


def _refunded_by(orders: OrderDatabase, ctx: ToolContext) -> bool:
    """True when this very call refunded the order already (a retried or recovered call)."""
    return any(r["idempotency_key"] == ctx.idempotency_key for r in orders.refunds())


def exact_policy_match(
    orders: OrderDatabase, document: PolicyDocument
) -> Callable[[CallRequest], bool]:
    """The `exact_policy_match` predicate of policy.yaml (section 6.1).

    True when `submit_refund` cites an approved window section that the order data alone
    decides (3.1, 3.2, 3.3, 4.2), the order's product class and status fit that section,
    the amount is exactly the order total, and the window rules, applied to the order's
    date and the ticket's date and region (the run's input), decide `approve` under that
    very section. Exceptions (5.x) always need a reviewer; so does a ticket without a date.
    """

    def check(request: CallRequest) -> bool:
        args = request.arguments
        section = document.resolve(str(args.get("policy_citation", "")))
        if section is None or section.number not in _DATA_DECIDED:
            return False
        order_id = _normalise(str(args.get("order_id", "")))
        order, product = orders.order(order_id), orders.product_of(order_id)
        if order is None or product is None:
            return False
        classes, statuses = _DATA_DECIDED[section.number]
        if not (
            product["product_class"] in classes
            and order["status"] in statuses
            and float(args.get("amount", -1)) == float(order["total"])
        ):
            return False
        return _window_approves(request, order, product, section.number)

    return check
