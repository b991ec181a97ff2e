"""The held-out split: written after the detectors were frozen, with its own templates, its
own seed, more locales and hard negatives the dev split lacks. Nothing was tuned on it.

Locales: en_US, en_GB, en_CA, en_AU, en_IE, de_DE, de_AT, de_CH, fr_FR, fr_CH, nl_NL, es_ES,
it_IT.
"""

from __future__ import annotations

from tests.redaction._corpus_common import Gen, Item, make_corpus

LOCALES = (
    "en_US", "en_GB", "en_CA", "en_AU", "en_IE", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CH",
    "nl_NL", "es_ES", "it_IT",
)  # fmt: skip
SEED = 90417

TEMPLATES: dict[str, tuple[str, ...]] = {
    "chat": (
        "customer: hey, order {invoice} still hasn't shipped?? it's been {quantity}\n"
        "agent: sorry! can you confirm the email on the account?\ncustomer: {EMAIL}",
        "customer: the courier said call {PHONE} but nobody answers. tracking is {tracking}",
        "agent: I've updated the delivery address to {ADDRESS}, {city}. Anything else?",
        "customer: you charged my visa ending ... actually here's the full number {CARD}, "
        "charged {price} on {date}",
        "customer: pls wire the refund to {IBAN} (account holder same as the order)",
        "customer: my password is {SECRET__password} and it still says invalid, why",
        "customer: i am writing from {EMAIL__upper}, the other mail is dead. phone {PHONE} works",
        "customer: the box with barcode {product_code} had {quantity}, wrong size {sku}",
    ),
    "email": (
        "Subject: Refund for {invoice}\n\nDear team,\nplease find my details below.\n"
        "Name on card: see attachment\nCard: {CARD}\nPhone: {PHONE}\n\nKind regards",
        "Subject: Change of address\n\nFrom {date} I live at {ADDRESS}. "
        "Please update customer {order_id}.\n-- \nSent from my phone",
        "Subject: Tax documents\n\nMy social security number is {SSN} as requested. "
        "Receipt total {price}, ISBN {isbn10}.",
        "Subject: Bank details\n\nIBAN: {IBAN}\nBIC: DEUTDEFF\nReference: {invoice}",
        "Subject: Re: your ticket {order_id}\n\nThanks, you can also text me on {PHONE} "
        "or write to {EMAIL}.",
    ),
    "json": (
        '{{"event": "payment.failed", "id": "{object_id}", "card": "{CARD}", '
        '"amount": "{price}", "at": "{timestamp}"}}',
        '{{"user": {{"email": "{EMAIL}", "last_ip": "{IP}", "device": "{mac}"}}, '
        '"geo": "{coords}"}}',
        '{{"delivery": {{"street": "{ADDRESS}", "city": "{city}", "postcode": "{zip_code}"}}, '
        '"parcel": "{tracking}"}}',
        '{{"pod": "{pod}", "image": "{image_digest}", "role": "{arn}", "build": "{version}"}}',
        '{{"integration": "crm", "api_key": "{SECRET}", "account": "{big_number}", '
        '"theme": "{color}"}}',
        '{{"avatar": "{data_uri}", "ssn_last_verified": "{date}", "ssn": "{SSN}"}}',
        '{{"payout": {{"iban": "{IBAN}", "currency": "EUR", "batch": "{invoice}"}}, '
        '"tool_call": "{object_id}"}}',
    ),
    "log": (
        "[{timestamp}] api INFO POST /v1/refunds 200 {quantity} ip={IP} user={EMAIL}",
        "[{timestamp}] worker ERROR db connect failed: "
        "postgres://{user_name}:{SECRET__password}@db.internal:5432/app",
        "[{timestamp}] proxy DEBUG headers: Authorization: Basic {SECRET__basic}",
        "[{timestamp}] api WARN rate limited client {IP} (tenant {object_id}) after {quantity}",
        "[{timestamp}] deploy INFO rolled out {version} to {pod} digest {image_digest}",
        "[{timestamp}] billing INFO charge {object_id} card={CARD} ok",
        "[{timestamp}] auth DEBUG issued session {SECRET} for user {order_id}",
        "[{timestamp}] geo INFO resolved {IP} to {coords}; {big_number} lookups today",
    ),
}


def corpus() -> list[Item]:
    """The held-out items: every template, filled 14 times."""
    return make_corpus(TEMPLATES, Gen(LOCALES, SEED), per_template=14)
