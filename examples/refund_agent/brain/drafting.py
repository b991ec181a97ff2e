"""Reply drafts assembled from approved policy text, each quote with its citation.

The agent never writes policy in its own words: every rule a draft states is a sentence
quoted from a section `get_refund_policy` returned, followed by
`[refund_policy.section_X.Y@VERSION]`. The rest is fixed, reviewed wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["REFUSAL_WORDING", "quote", "reply"]

#: What the reply says for each kind of request the agent declines.
REFUSAL_WORDING: dict[str, str] = {
    "restricted_data": "We can't share payment details, addresses or another customer's "
    "information by message.",
    "different_payment": "Refunds always go back to the original payment method.",
    "more_than_total": "A refund can't be larger than the amount paid for the order.",
    "compensation": "We can't add credit or compensation on top of what the policy allows.",
    "skip_review": "Every refund follows our normal review; we can't skip it.",
    "instructions_in_ticket": "",
    "instructions_in_order_data": "",
}
_OPENERS = {
    "approve": "We have recommended a full refund of ${amount:.2f} for your order {order}. "
    "A member of our team confirms refunds before they are issued, and you will hear from us "
    "as soon as it is done.",
    "decline": "We have looked at your order {order} and, under our refund policy, we can't "
    "offer a refund for it.",
    "escalate": "We have passed your order {order} to a senior member of our team, who will "
    "decide and get back to you.",
    "ask_order": "We couldn't find the order you are writing about.",
    "third_party": "We can only act on an order for the customer who placed it.",
    "routed": "Thanks for getting in touch. We have passed your message to our {team} team, "
    "who will reply shortly.",
}


def quote(section: Mapping[str, Any], citation: str, *, sentences: int = 2) -> str:
    """The first sentences of an approved section, with its citation."""
    parts = re.split(r"(?<=[.!?])\s+", str(section["text"]).strip())
    return f'Our policy says: "{" ".join(parts[:sentences])}" [{citation}]'


def reply(
    kind: str,
    *,
    quotes: Sequence[str],
    order_id: str | None = None,
    amount: float | None = None,
    refusals: Sequence[str] = (),
    apologise: bool = False,
    team: str = "support",
) -> str:
    """A draft reply: greeting, the decision, the quoted policy, refusals, sign-off."""
    lines = ["Hello,"]
    if apologise:
        lines.append("I'm sorry for the trouble this has caused.")
    lines.append(_OPENERS[kind].format(order=order_id or "", amount=amount or 0.0, team=team))
    if kind == "ask_order":
        lines.append("Could you reply with your order number (it starts with ord_)?")
    lines.extend(quotes)
    lines.extend(REFUSAL_WORDING[r] for r in refusals if REFUSAL_WORDING.get(r))
    lines.append("Best regards,\nCustomer Support")
    return "\n".join(lines)
