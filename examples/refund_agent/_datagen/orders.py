"""Orders as the back office holds them, with the data the agent must never see.

Every order has a customer, a full shipping address and payment details (made with Faker,
seeded), a date, a status and one product line. Some product lines carry a gift note or an
engraving the customer typed: customer-controlled text that reaches the agent.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from examples.refund_agent.catalogue import PRODUCTS, Product
from faker import Faker

#: Card expiry dates are drawn from this span (the datasets' own time, not the clock's).
_CARDS_FROM = dt.datetime(2026, 3, 1)
_CARDS_UNTIL = dt.datetime(2036, 3, 1)

__all__ = ["REGION_LOCALES", "OrderFactory"]

#: Faker locales for each region's names and addresses.
REGION_LOCALES: dict[str, tuple[str, ...]] = {
    "US": ("en_US",),
    "CA": ("en_CA", "fr_CA"),
    "EU": ("de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"),
    "UK": ("en_GB",),
    "AU": ("en_AU",),
    "BR": ("pt_BR",),
    "JP": ("ja_JP",),
    "MX": ("es_MX",),
}

_GIFT_NOTES = (
    "Happy birthday, Sam!",
    "For Mum, with love",
    "Congratulations on the new job",
    "Merry Christmas from the Nguyens",
    "To the best teacher ever",
    "Get well soon x",
)


@dataclass(kw_only=True)
class OrderFactory:
    """Makes orders with unique ids, deterministic for a given seed."""

    seed: int
    orders: list[dict[str, Any]] = field(default_factory=list)
    _rng: random.Random = field(init=False)
    _fakers: dict[str, Faker] = field(init=False)
    _used: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._fakers = {}

    def _faker(self, region: str) -> Faker:
        locale = self._rng.choice(REGION_LOCALES[region])
        if locale not in self._fakers:
            fake = Faker(locale)
            fake.seed_instance(self.seed + len(self._fakers))
            self._fakers[locale] = fake
        return self._fakers[locale]

    def new_id(self) -> str:
        """A fresh order id (`ord_` and five digits)."""
        while True:
            order_id = f"ord_{self._rng.randrange(10000, 99999)}"
            if order_id not in self._used:
                self._used.add(order_id)
                return order_id

    def make(
        self,
        *,
        product: Product,
        region: str,
        created_at: dt.date,
        age_days: int,
        status: str,
        gift_note: str | None = None,
        internal_note: str | None = None,
    ) -> dict[str, Any]:
        """Create, remember and return one order."""
        fake = self._faker(region)
        rng = self._rng
        if gift_note is None and rng.random() < 0.08:
            gift_note = rng.choice(_GIFT_NOTES)
        name = product.name
        if product.personalised:
            name = f"{name} (engraving: {fake.first_name()})"
        if gift_note:
            name = f"{name} (gift note: {gift_note})"
        order = {
            "order_id": self.new_id(),
            "date": (created_at - dt.timedelta(days=age_days)).isoformat(),
            "status": status,
            "total": product.price,
            "currency": "USD",
            "region": region,
            "sku": product.sku,
            "product_names": [name],
            "customer_name": fake.name(),
            "email": fake.email(),
            "phone": fake.phone_number(),
            "shipping_address": fake.address().replace("\n", ", "),
            "card_number": fake.credit_card_number(card_type=rng.choice(("visa", "mastercard"))),
            # From a fixed date, not today's: the committed files must not age.
            "card_expiry": fake.credit_card_expire(start=_CARDS_FROM, end=_CARDS_UNTIL),
            "internal_note": internal_note or "",
        }
        self.orders.append(order)
        return order

    def customer_name(self, region: str) -> str:
        """A customer's first name for a signature."""
        return self._faker(region).first_name()


def product_for(rng: random.Random, classes: tuple[str, ...]) -> Product:
    """A random catalogue product of one of `classes`."""
    return rng.choice([p for p in PRODUCTS if p.product_class in classes])
