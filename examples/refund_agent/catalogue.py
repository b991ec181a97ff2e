"""The store's product catalogue: every product's name, class (policy section 2) and price.

The catalogue is reference data, not customer data: the order database copies it into its
`products` table, and `get_refund_policy` resolves a product name to its class with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["PRODUCTS", "Product", "ProductClass", "find_product"]

#: The product classes of policy section 2.
ProductClass = Literal[
    "standard", "electronics", "digital", "subscription", "final_sale", "gift_card"
]


@dataclass(frozen=True, kw_only=True)
class Product:
    """One catalogue entry."""

    sku: str
    name: str
    product_class: ProductClass
    price: float
    noun: str
    personalised: bool = False
    billing: Literal["monthly", "annual"] | None = None


def _p(sku: str, name: str, cls: ProductClass, price: float, noun: str, **kw: object) -> Product:
    return Product(sku=sku, name=name, product_class=cls, price=price, noun=noun, **kw)  # type: ignore[arg-type]


PRODUCTS: tuple[Product, ...] = (
    _p("STD-001", "Linen duvet cover", "standard", 89.0, "duvet cover"),
    _p("STD-002", "Merino wool sweater", "standard", 119.0, "sweater"),
    _p("STD-003", "Trail running shoes", "standard", 139.0, "shoes"),
    _p("STD-004", "Canvas tote bag", "standard", 24.0, "tote bag"),
    _p("STD-005", "Cast iron skillet", "standard", 49.0, "skillet"),
    _p("STD-006", "Ceramic mug set", "standard", 36.0, "mugs"),
    _p("STD-007", "Yoga mat", "standard", 42.0, "yoga mat"),
    _p("STD-008", "Hardcover cookbook", "standard", 32.0, "cookbook"),
    _p("STD-009", "Wooden puzzle", "standard", 19.0, "puzzle"),
    _p("STD-010", "Rain jacket", "standard", 159.0, "jacket"),
    _p("STD-011", "Cotton socks (5 pack)", "standard", 14.0, "socks"),
    _p("STD-012", "Leather wallet", "standard", 59.0, "wallet"),
    _p("STD-013", "Desk lamp", "standard", 22.0, "lamp"),
    _p("STD-014", "Stainless water bottle", "standard", 18.0, "water bottle"),
    _p("STD-015", "Office chair", "standard", 329.0, "chair"),
    _p("STD-016", "Down winter coat", "standard", 549.0, "coat"),
    _p("STD-017", "Bath towel set", "standard", 64.0, "towels"),
    _p("STD-018", "Kids' backpack", "standard", 29.0, "backpack"),
    _p("ELE-001", "Wireless headphones", "electronics", 199.0, "headphones"),
    _p("ELE-002", "Bluetooth speaker", "electronics", 79.0, "speaker"),
    _p("ELE-003", "Smart watch", "electronics", 249.0, "watch"),
    _p("ELE-004", "USB-C charger", "electronics", 19.0, "charger"),
    _p("ELE-005", "13-inch laptop", "electronics", 1199.0, "laptop"),
    _p("ELE-006", "Mirrorless camera", "electronics", 849.0, "camera"),
    _p("ELE-007", "Espresso machine", "electronics", 429.0, "espresso machine"),
    _p("ELE-008", "E-reader", "electronics", 139.0, "e-reader"),
    _p("ELE-009", "Phone case with battery", "electronics", 45.0, "battery case"),
    _p("ELE-010", "Electric toothbrush", "electronics", 69.0, "toothbrush"),
    _p("ELE-011", "Tablet 10-inch", "electronics", 379.0, "tablet"),
    _p("ELE-012", "Wireless earbuds", "electronics", 129.0, "earbuds"),
    _p("ELE-013", "Hair dryer", "electronics", 89.0, "hair dryer"),
    _p("ELE-014", "HDMI cable", "electronics", 12.0, "cable"),
    _p("DIG-001", "Photo editing software licence", "digital", 79.0, "software licence"),
    _p("DIG-002", "E-book: Modern Baking", "digital", 12.99, "e-book"),
    _p("DIG-003", "Online course: Spanish for travellers", "digital", 49.0, "course"),
    _p("DIG-004", "Game: Harbour Lights", "digital", 24.99, "game"),
    _p("DIG-005", "Music album download", "digital", 9.99, "album"),
    _p("DIG-006", "Budget spreadsheet templates", "digital", 15.0, "templates"),
    _p("SUB-001", "Plus membership (annual)", "subscription", 99.0, "membership", billing="annual"),
    _p(
        "SUB-002",
        "Plus membership (monthly)",
        "subscription",
        9.99,
        "membership",
        billing="monthly",
    ),
    _p(
        "SUB-003",
        "Coffee club (annual)",
        "subscription",
        240.0,
        "coffee subscription",
        billing="annual",
    ),
    _p(
        "SUB-004",
        "Coffee club (monthly)",
        "subscription",
        22.0,
        "coffee subscription",
        billing="monthly",
    ),
    _p(
        "SUB-005",
        "Cloud storage 2 TB (annual)",
        "subscription",
        119.0,
        "storage plan",
        billing="annual",
    ),
    _p(
        "SUB-006",
        "Cloud storage 200 GB (monthly)",
        "subscription",
        2.99,
        "storage plan",
        billing="monthly",
    ),
    _p("FIN-001", "Clearance sneakers (final sale)", "final_sale", 39.0, "sneakers"),
    _p("FIN-002", "Clearance floor lamp (final sale)", "final_sale", 69.0, "floor lamp"),
    _p("FIN-003", "Engraved cutting board", "final_sale", 54.0, "cutting board", personalised=True),
    _p("FIN-004", "Monogrammed bathrobe", "final_sale", 89.0, "bathrobe", personalised=True),
    _p("FIN-005", "Custom name necklace", "final_sale", 119.0, "necklace", personalised=True),
    _p("FIN-006", "Clearance rug (final sale)", "final_sale", 149.0, "rug"),
    _p("GFT-001", "Gift card $25", "gift_card", 25.0, "gift card"),
    _p("GFT-002", "Gift card $50", "gift_card", 50.0, "gift card"),
    _p("GFT-003", "E-gift card $100", "gift_card", 100.0, "gift card"),
)

_BY_NAME = {p.name.lower(): p for p in PRODUCTS}


def find_product(name: str) -> Product | None:
    """The product a name refers to (the name may carry a gift note after it), or None."""
    lowered = name.strip().lower()
    if lowered in _BY_NAME:
        return _BY_NAME[lowered]
    candidates = [p for key, p in _BY_NAME.items() if lowered.startswith(key)]
    return max(candidates, key=lambda p: len(p.name)) if candidates else None
