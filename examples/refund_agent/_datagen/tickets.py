"""Compose one ticket's text from its parts: tone, greeting, request, colour, noise, closing."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from examples.refund_agent._datagen import phrases_other, phrases_refund, phrases_tone
from examples.refund_agent._datagen.noise import add_typos, shout, sloppy

__all__ = ["TicketText", "compose", "order_reference"]

TONES = ("polite", "neutral", "terse", "angry", "anxious", "formal")
_TONE_WEIGHTS = (30, 22, 14, 14, 10, 10)


def order_reference(order_id: str, rng: random.Random) -> tuple[str, str]:
    """(inline, sentence): the ways people write an order id inside a sentence or alone."""
    digits = order_id.removeprefix("ord_")
    inline = rng.choice(
        (
            f" (order {order_id})",
            f" - order {order_id}",
            f" on order #{digits}",
            f" (order number {digits})",
            f" from order {order_id}",
            f", order no. {digits},",
            f" ({order_id})",
            f" #{digits}",
        )
    )
    sentence = rng.choice(
        (
            f"Order number: {digits}.",
            f"My order is {order_id}.",
            f"Order #{digits}",
            f"ref {order_id}",
            f"The order id is {order_id}.",
            f"It was order {digits}.",
        )
    )
    return inline, sentence


@dataclass(kw_only=True)
class TicketText:
    """The knobs of one ticket's text."""

    core: str
    tone: str = "polite"
    length: str = "medium"
    ref_inline: str = ""
    ref_sentence: str = ""
    prefer_inline: bool = True
    product: str = "order"
    amount: float | None = None
    days: str = "recently"
    secondary: str | None = None
    politeness_language: str | None = None
    typo_rate: float = 0.0
    chat_style: bool = False
    signature: str | None = None
    extra: list[str] = field(default_factory=list)
    colour: tuple[str, ...] = phrases_refund.BACKSTORY


def _fill(template: str, t: TicketText, rng: random.Random) -> str:
    """The core sentence with its slots filled; an order reference is never dropped.

    The reference goes inline when the template has a `{ref}` slot and the ticket prefers
    it, else at the front (`{ref_lead}`) or as a sentence of its own after the core.
    """
    inline = t.ref_inline if "{ref}" in template and t.prefer_inline else ""
    lead = not inline and bool(t.ref_sentence) and "{ref_lead}" in template and rng.random() < 0.5
    text = template.format(
        product=t.product,
        ref=inline,
        ref_lead=(t.ref_sentence + " ") if lead else "",
        days=t.days,
        amount=f"{t.amount:.2f}" if t.amount is not None else "",
        noun_other=rng.choice(("phone case", "scarf", "kettle", "pair of sandals")),
    )
    if t.ref_sentence and not inline and not lead:
        text = f"{text} {t.ref_sentence}"
    return text[0].upper() + text[1:] if text else text


def _opening_and_closing(t: TicketText, rng: random.Random) -> tuple[str, str]:
    if t.politeness_language:
        hellos, byes = phrases_tone.FOREIGN_POLITENESS[t.politeness_language]
        return rng.choice(hellos), rng.choice(byes)
    return rng.choice(phrases_tone.GREETINGS[t.tone]), rng.choice(phrases_tone.CLOSINGS[t.tone])


def compose(t: TicketText, rng: random.Random) -> str:
    """The ticket text for `t`."""
    body = [_fill(t.core, t, rng)]
    colour = rng.sample(t.colour, 4)
    if t.length in ("medium", "long"):
        body.insert(rng.randrange(0, 2), colour[0])
    if t.length == "long":
        body.insert(0, colour[1])
        body.insert(rng.randrange(1, len(body) + 1), colour[2])
        if rng.random() < 0.5:
            body.append(colour[3])
        if t.amount is not None and rng.random() < 0.6:
            body.append(rng.choice(phrases_refund.AMOUNT_ASIDES).format(amount=f"{t.amount:.2f}"))
    if t.tone == "angry":
        body.insert(rng.randrange(0, len(body) + 1), rng.choice(phrases_tone.ANGRY_INSERTS))
    body.extend(t.extra)
    if t.secondary:
        body.append(t.secondary)
    text = " ".join(s for s in body if s)
    if t.typo_rate:
        text = add_typos(text, rng, t.typo_rate)
    if t.tone == "angry" and rng.random() < 0.6:
        text = shout(text, rng)
    if t.chat_style:
        return sloppy(text, rng)
    hello, bye = _opening_and_closing(t, rng)
    if t.length == "short" and not t.politeness_language:
        hello, bye = "", bye if rng.random() < 0.3 else ""
    lines = [hello, text, bye, t.signature or ""]
    sep = (
        "\n\n" if t.length == "long" and rng.random() < 0.7 else "\n" if rng.random() < 0.5 else " "
    )
    return sep.join(line for line in lines if line).strip()


def pick_tone(rng: random.Random) -> str:
    """A tone, weighted like a real support queue."""
    return rng.choices(TONES, weights=_TONE_WEIGHTS)[0]


def secondary_for(primary: str, rng: random.Random) -> tuple[str, str]:
    """(class, sentence): a minor second request from another class."""
    other = rng.choice([c for c in phrases_other.SECONDARY if c != primary])
    return other, rng.choice(phrases_other.SECONDARY[other])
