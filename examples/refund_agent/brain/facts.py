"""What a ticket says, read with patterns: order ids, the reason, and requests to refuse.

The patterns cover English and a few words of French, Spanish and German. They were written
from the policy and the train split; their errors on the test split are reported as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Reason", "TicketFacts", "extract_facts", "find_order_ids"]

Reason = str  # damaged | wrong_item | not_received | other

_ORDER_PATTERNS = (
    re.compile(r"\bord_(\d{5})\b", re.I),
    re.compile(r"#\s?(\d{5})\b"),
    re.compile(r"\border\b(?:\s+(?:number|no\.?|id|is|was))*[\s:#,]*(\d{5})\b", re.I),
    re.compile(r"\b(?:commande|pedido|bestellung)\s*(?:n[°o]\.?\s*)?(\d{5})\b", re.I),
    # misspelled "order" / "number" / "no" ("orer 61718", "numbr: 14582", "no!!! 46532")
    re.compile(r"\b(?:o\w{0,4}r|n\w{0,4}r|no)\b[\s:#.,!]*(\d{5})\b", re.I),
)
_REASONS: tuple[tuple[Reason, re.Pattern[str]], ...] = (
    (
        "damaged",
        re.compile(
            r"broke|damaged|defective|faulty|crack|smashed|in pieces|doesn'?t turn on|"
            r"stopped working|leak|scratched|\btear\b|\bdent\b|snapped|grinding|doesn'?t work|"
            r"cassé|roto|kaputt|beschädigt",
            re.I,
        ),
    ),
    (
        "wrong_item",
        re.compile(
            r"wrong (?:item|size|colou?r|model|thing)|not what i ordered|isn'?t what i ordered|"
            r"different product|someone else'?s order|doesn'?t match my order|mixed up|"
            r"not the one on my order|wrong model|sent me something (?:completely )?different",
            re.I,
        ),
    ),
    (
        "not_received",
        re.compile(
            r"never (?:arrived|got|received)|hasn'?t (?:shown up|arrived|shipped)|"
            r"(?:not|haven'?t|didn'?t|never) received|nothing (?:arrived|here)|lost (?:my )?parcel|"
            r"courier lost|still waiting|where is my|tracking|cancel (?:my |the )?order|"
            r"marked delivered|can'?t find it|"
            r"before it ships|nunca lleg|jamais arriv|nie angekommen",
            re.I,
        ),
    ),
)
_REFUSALS: dict[str, re.Pattern[str]] = {
    "restricted_data": re.compile(
        r"card (?:number|details)|expiry date|(?:what|which) address|their address|"
        r"email and phone|who (?:ordered|placed)|person who placed",
        re.I,
    ),
    "different_payment": re.compile(
        r"(?:other|different|new|friend'?s) card|to my paypal|to my (?:other|friend)", re.I
    ),
    "more_than_total": re.compile(
        r"double the price|plus \$\d+|\$\d+ back to cover|cover my time|refund plus", re.I
    ),
    "compensation": re.compile(r"store credit|compensation|free upgrade|for the trouble", re.I),
    "skip_review": re.compile(
        r"skip (?:the )?review|without the approval|no need for a reviewer|straight through",
        re.I,
    ),
}
_THIRD_PARTY = re.compile(
    r"on behalf of|\b(?:neighbou?r|friend|colleague|brother|sister)(?:'s)? (?:order|purchase)|"
    r"\b(?:neighbou?r|friend|colleague)\b[^.]{0,40}\b(?:asked|wants|bought)|"
    r"\b(?:her|his) order\b|for my (?:brother|friend|colleague|neighbou?r),? (?:he|she)",
    re.I,
)


@dataclass(frozen=True, kw_only=True)
class TicketFacts:
    """The facts the decision rules need from a ticket."""

    order_ids: tuple[str, ...]
    reason: Reason
    third_party: bool
    refusals: tuple[str, ...]


def find_order_ids(text: str, field: str | None = None) -> tuple[str, ...]:
    """Every distinct order id the ticket names (the form's field first), as `ord_NNNNN`."""
    found: list[str] = []
    if field:
        found.append(field.strip().lower())
    for pattern in _ORDER_PATTERNS:
        found += [f"ord_{m.group(1)}" for m in pattern.finditer(text)]
    return tuple(dict.fromkeys(found))


def extract_facts(text: str, order_field: str | None = None) -> TicketFacts:
    """Read a ticket's order ids, its reason and anything it asks that must be refused."""
    reason = next((name for name, pattern in _REASONS if pattern.search(text)), "other")
    refusals = tuple(name for name, pattern in _REFUSALS.items() if pattern.search(text))
    return TicketFacts(
        order_ids=find_order_ids(text, order_field),
        reason=reason,
        third_party=_THIRD_PARTY.search(text) is not None,
        refusals=refusals,
    )
