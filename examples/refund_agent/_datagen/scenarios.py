"""One labelled scenario at a time: a refund request or another kind of ticket.

`ScenarioMaker` draws every choice from one seeded `random.Random`, creates the order a
ticket is about, writes the ticket text and labels it with the expected outcome.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from examples.refund_agent._datagen import phrases_other, phrases_refund, phrases_tone
from examples.refund_agent._datagen.labels import expected_outcome
from examples.refund_agent._datagen.orders import OrderFactory, product_for
from examples.refund_agent._datagen.tickets import (
    TicketText,
    compose,
    order_reference,
    pick_tone,
    secondary_for,
)
from examples.refund_agent.catalogue import Product

__all__ = ["AS_OF", "READ_TOOLS", "Knobs", "ScenarioMaker", "set_template"]


def set_template(record: dict[str, Any], template: str) -> None:
    """Name the phrasing a record's text was written from (when a set rewrites the text)."""
    record["tags"] = [t for t in record["tags"] if not t.startswith("template:")]
    record["tags"].append(f"template:{template}")


#: The last day tickets are created on; orders are dated before it.
AS_OF = dt.date(2026, 3, 20)
READ_TOOLS = ["get_order_summary", "get_refund_policy", "create_refund_recommendation"]
_REGIONS = ("US", "EU", "UK", "CA", "AU", "BR", "JP", "MX")
_REGION_WEIGHTS = (45, 20, 12, 10, 9, 2, 1, 1)
_REASON_CLASSES: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "damaged": (
        ("standard", "electronics", "final_sale", "gift_card", "digital"),
        (45, 40, 10, 2, 3),
    ),
    "wrong_item": (("standard", "electronics", "final_sale"), (60, 30, 10)),
    "not_received": (("standard", "electronics", "final_sale"), (50, 40, 10)),
    "change_of_mind": (
        ("standard", "electronics", "final_sale", "digital", "gift_card"),
        (45, 30, 12, 8, 5),
    ),
    "subscription_cancel": (("subscription",), (1,)),
    "digital_unused": (("digital",), (1,)),
    "unspecified": (("standard", "electronics", "final_sale"), (50, 40, 10)),
}
REASONS = tuple(_REASON_CLASSES)
_REASON_WEIGHTS = (22, 12, 14, 30, 10, 7, 5)


@dataclass(kw_only=True)
class Knobs:
    """Overrides for one scenario; None means draw at random."""

    reason: str | None = None
    product: Product | None = None
    age: int | None = None
    status: str | None = None
    region: str | None = None
    ref_style: str | None = None
    tone: str | None = None
    length: str | None = None
    gift_note: str | None = None
    extra: list[str] = field(default_factory=list)
    secondary: bool | None = None
    language: str | None = None
    order_id: str | None = None


@dataclass(kw_only=True)
class ScenarioMaker:
    """Makes labelled scenarios; every draw comes from `rng`."""

    rng: random.Random
    orders: OrderFactory
    prefix: str
    count: int = 0

    def _id(self) -> str:
        self.count += 1
        return f"{self.prefix}-{self.count:04d}"

    def _created_at(self) -> dt.date:
        return AS_OF - dt.timedelta(days=self.rng.randrange(0, 19))

    def _age(self) -> int:
        roll = self.rng.random()
        if roll < 0.55:
            return self.rng.randrange(1, 31)
        if roll < 0.75:
            return self.rng.randrange(31, 120)
        return self.rng.choice((12, 13, 14, 15, 16, 17, 28, 29, 30, 31, 32, 33))

    def _status(self, reason: str, product: Product, age: int) -> str:
        cls, rng = product.product_class, self.rng
        if cls == "subscription":
            return "active"
        if cls == "digital":
            unused = 0.8 if reason == "digital_unused" else 0.45
            return "not_activated" if rng.random() < unused else "activated"
        if reason == "not_received":
            if age <= 2:
                return "processing"
            return rng.choices(("shipped", "delivered", "processing"), weights=(65, 25, 10))[0]
        return "refunded" if rng.random() < 0.03 else "delivered"

    def _product(self, reason: str) -> Product:
        classes, weights = _REASON_CLASSES[reason]
        return product_for(self.rng, (self.rng.choices(classes, weights=weights)[0],))

    def _mention(self, product: Product) -> str:
        roll = self.rng.random()
        if product.product_class == "subscription" or roll < 0.3:
            return product.name
        return product.noun if roll < 0.82 else self.rng.choice(("order", "item", "purchase"))

    def _ticket_input(
        self, text: str, region: str, created: dt.date, order_id: str | None
    ) -> dict[str, Any]:
        rng = self.rng
        data: dict[str, Any] = {
            "ticket_id": f"TCK-{rng.randrange(100000, 999999)}",
            "text": text,
            "region": region,
            "channel": rng.choices(
                ("email", "chat", "web_form", "social"), weights=(50, 25, 20, 5)
            )[0],
            "customer_tier": rng.choices(("standard", "plus", "gold"), weights=(70, 22, 8))[0],
            "created_at": created.isoformat(),
        }
        if order_id is not None:
            data["order_id"] = order_id
        return data

    def _text_knobs(self, k: Knobs, tags: list[str]) -> TicketText:
        rng = self.rng
        tone = k.tone or pick_tone(rng)
        length = k.length or rng.choices(("short", "medium", "long"), weights=(30, 50, 20))[0]
        t = TicketText(core="", tone=tone, length=length, extra=list(k.extra))
        if rng.random() < 0.12 and tone != "angry":
            t.politeness_language = rng.choice(tuple(phrases_tone.FOREIGN_POLITENESS))
            tags.append(f"language:{t.politeness_language}")
        if rng.random() < 0.25:
            t.typo_rate = rng.choice((0.05, 0.1, 0.2))
            tags.append("typos")
        if rng.random() < 0.12 and tone in ("terse", "neutral", "angry"):
            t.chat_style = True
        if length == "long" and rng.random() < 0.5:
            t.signature = f"- {self.orders.customer_name('US')}"
        tags.append(f"tone:{tone}")
        if tone == "angry":
            tags.append("angry")
        return t

    def _place_reference(self, t: TicketText, order_id: str | None, style: str) -> str | None:
        """Put the order id in the text and/or the input field; returns the field value."""
        if order_id is None or style == "missing":
            return None
        inline, sentence = order_reference(order_id, self.rng)
        if style in ("text", "both"):
            t.ref_inline, t.ref_sentence = inline, sentence
            t.prefer_inline = self.rng.random() < 0.6
        return order_id if style in ("field", "both") else None

    def refund(self, k: Knobs | None = None) -> dict[str, Any]:
        """A refund request, its order, and the expected outcome."""
        k = k or Knobs()
        rng = self.rng
        reason = k.reason or rng.choices(REASONS, weights=_REASON_WEIGHTS)[0]
        product = k.product or self._product(reason)
        age = k.age if k.age is not None else self._age()
        region = k.region or rng.choices(_REGIONS, weights=_REGION_WEIGHTS)[0]
        created = self._created_at()
        status = k.status or self._status(reason, product, age)
        order = self.orders.make(
            product=product,
            region=region,
            created_at=created,
            age_days=age,
            status=status,
            gift_note=k.gift_note,
        )
        tags = [f"reason:{reason}", f"product_class:{product.product_class}", f"region:{region}"]
        t = self._text_knobs(k, tags)
        bank = phrases_refund.REFUND_REQUESTS[reason]
        index = rng.randrange(len(bank))  # the same draw as rng.choice(bank)
        t.core = bank[index]
        template = f"refund.{reason}.{index}"
        t.product, t.amount = self._mention(product), product.price
        bucket = "recent" if age < 10 else "month" if age < 40 else "old"
        t.days = rng.choice(phrases_refund.TIME_PHRASES[bucket])
        style = (
            k.ref_style
            or rng.choices(
                ("text", "field", "both", "missing", "unknown"), weights=(45, 20, 22, 10, 3)
            )[0]
        )
        referenced = k.order_id or (
            self.orders.new_id() if style == "unknown" else order["order_id"]
        )
        field_id = self._place_reference(t, referenced, "text" if style == "unknown" else style)
        if self._maybe_secondary(t, "refund", k):
            tags.append("multi_intent")
        text = self._foreign_or_english(t, reason, k, tags)
        foreign = next(
            (g[9:] for g in tags if g.startswith("language:") and "non_english" in tags), None
        )
        tags.append(f"template:{foreign}.refund.{reason}" if foreign else f"template:{template}")
        record = self._record("refund", self._ticket_input(text, region, created, field_id), tags)
        return self._label(record, style, order, product, reason, created)

    def _label(
        self,
        record: dict[str, Any],
        style: str,
        order: dict[str, Any],
        product: Product,
        reason: str,
        created: dt.date,
    ) -> dict[str, Any]:
        """Fill in a refund request's expected outcome."""
        tags = record["tags"]
        if style == "missing":
            tags.append("missing_order_id")
            return self._needs_order(record, tools=["get_refund_policy"])
        if style == "unknown":
            tags.append("unknown_order_id")
            return self._needs_order(record, tools=["get_order_summary", "get_refund_policy"])
        decision, section = expected_outcome(
            order=order, product=product, reason=reason, created_at=created
        )
        tools = READ_TOOLS + (["submit_refund"] if decision == "approve" else [])
        record.update(
            expected_section=section,
            expected_decision=decision,
            expected_tools=tools,
            expected_tool_sequence=list(tools),
            expected_output_contains=[section],
        )
        tags.append(f"decision:{decision}")
        return record

    def _maybe_secondary(self, t: TicketText, primary: str, k: Knobs) -> bool:
        want = k.secondary if k.secondary is not None else self.rng.random() < 0.1
        if want:
            _, t.secondary = secondary_for(primary, self.rng)
        return want

    def _foreign_or_english(self, t: TicketText, reason: str, k: Knobs, tags: list[str]) -> str:
        from examples.refund_agent._datagen.phrases_tone import (
            FOREIGN_REFUND_REASONS,
            FOREIGN_TICKETS,
        )

        lang = k.language
        if lang is None and reason in FOREIGN_REFUND_REASONS and self.rng.random() < 0.05:
            lang = self.rng.choice(tuple(FOREIGN_TICKETS))
        if lang is None:
            return compose(t, self.rng)
        template = FOREIGN_TICKETS[lang]["refund"][FOREIGN_REFUND_REASONS.index(reason)]
        tags.append(f"language:{lang}")
        tags.append("non_english")
        text = template.format(ref=t.ref_inline or (" " + t.ref_sentence if t.ref_sentence else ""))
        return " ".join([text, *t.extra])

    def _record(self, cls: str, ticket: dict[str, Any], tags: list[str]) -> dict[str, Any]:
        return {
            "id": self._id(),
            "input": ticket,
            "expected_class": cls,
            "expected_section": None,
            "expected_decision": None,
            "expected_tools": [],
            "expected_tool_sequence": [],
            "expected_output_contains": [],
            "expected_refusal": False,
            "max_turns": 10 if cls == "refund" else 3,
            "max_cost": 0.05 if cls == "refund" else 0.01,
            "tags": tags,
        }

    def _needs_order(self, record: dict[str, Any], *, tools: list[str]) -> dict[str, Any]:
        record.update(
            expected_section="refund_policy.section_7.3",
            expected_tools=tools,
            expected_tool_sequence=list(tools),
            expected_output_contains=["order number"],
        )
        return record

    def other(self, cls: str, k: Knobs | None = None) -> dict[str, Any]:
        """A billing, account, technical or other ticket: routed, no tool needed."""
        from examples.refund_agent._datagen.phrases_tone import FOREIGN_TICKETS

        k = k or Knobs()
        rng = self.rng
        region = k.region or rng.choices(_REGIONS, weights=_REGION_WEIGHTS)[0]
        created = self._created_at()
        tags = [f"topic:{cls}", f"region:{region}"]
        t = self._text_knobs(k, tags)
        bank = phrases_other.TOPICS[cls]
        index = rng.randrange(len(bank))  # the same draw as rng.choice(bank)
        t.core = bank[index]
        template = f"{cls}.{index}"
        t.colour = phrases_other.COLOUR[cls]
        t.product = product_for(rng, ("standard", "electronics", "digital")).noun
        order_id = self.orders.new_id() if "{ref}" in t.core and rng.random() < 0.6 else None
        field_id = self._place_reference(t, order_id, rng.choice(("text", "field", "both")))
        if self._maybe_secondary(t, cls, k):
            tags.append("multi_intent")
        lang = k.language or (rng.choice(tuple(FOREIGN_TICKETS)) if rng.random() < 0.03 else None)
        if lang and cls in FOREIGN_TICKETS[lang]:
            foreign = FOREIGN_TICKETS[lang][cls]
            pick = rng.randrange(len(foreign))  # the same draw as rng.choice(foreign)
            text = foreign[pick].format(ref=t.ref_inline)
            tags += [f"language:{lang}", "non_english"]
            template = f"{lang}.{cls}.{pick}"
        else:
            text = compose(t, rng)
        tags.append(f"template:{template}")
        return self._record(cls, self._ticket_input(text, region, created, field_id), tags)
