"""The dev split: the detectors were checked and adjusted against it (its figures are a
regression check, not evidence). Locales: en_US, en_GB, de_DE, fr_FR."""

from __future__ import annotations

from tests.redaction._corpus_common import Gen, Item, make_corpus

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR")
SEED = 4101

TEMPLATES: dict[str, tuple[str, ...]] = {
    "ticket": (
        "Hi, I'm writing about order {order_id}. You can reach me at {EMAIL} or {PHONE}.",
        "My card {CARD} was charged {price} twice on {date}. Please refund one of them.",
        "Please send the replacement to {ADDRESS} instead, the old address is wrong.",
        "I paid by bank transfer from {IBAN} on {date}, reference {order_id}.",
        "For the tax form: SSN {SSN}. Total was {price} for {quantity}.",
        "Can't log in since {timestamp}. My phone is {PHONE} and my login is {EMAIL}.",
        "The package {tracking} shows delivered but I'm at {ADDRESS} and nothing came.",
        "refund please!! {price} for {sku}, email me {EMAIL}",
        "I got product {product_code} ({sku}) instead of what I ordered. Call {PHONE}.",
        "Hello, new address: {ADDRESS}. Old one was {ADDRESS}. Thanks, order {order_id}",
    ),
    "note": (
        "Customer called from {PHONE}, confirmed last four of {CARD}. Refund {price} approved.",
        "Escalated {order_id}: customer sent IBAN {IBAN} for the chargeback, see {uuid}.",
        "Verified identity with SSN {SSN}; updated shipping to {ADDRESS}.",
        "Agent note {date}: duplicate charge on {CARD}, tracking {tracking}, version {version}.",
        "Login from {IP} at {timestamp} for {EMAIL}; flagged by rule {identifier}.",
        "Customer pasted their API key {SECRET} into the chat; rotated it.",
        "Sent label to {EMAIL}; {quantity} in box, weight noted, commit {git_hash}.",
    ),
    "json": (
        '{{"order_id": "{order_id}", "email": "{EMAIL}", "total": "{price}", "status": "delivered"}}',
        '{{"customer": {{"name_on_card": "x", "card": "{CARD}", "phone": "{PHONE}"}}, "sku": "{sku}"}}',
        '{{"id": "{uuid}", "shipping_address": "{ADDRESS}", "created_at": "{timestamp}"}}',
        '{{"refund": {{"iban": "{IBAN}", "amount": "{price}", "ref": "{order_id}"}}}}',
        '{{"client_ip": "{IP}", "request_id": "{uuid}", "path": "{path}", "latency": "{quantity}"}}',
        '{{"config": {{"provider": "openai", "key": "{SECRET}", "model_version": "{version}"}}}}',
        '{{"run": "{our_id}", "digest": "{git_hash}", "barcode": "{product_code}", "zip": "{zip_code}"}}',
    ),
    "log": (
        "2024-05-01T12:00:00Z INFO login ok user={EMAIL} ip={IP} req={uuid}",
        "WARN payment declined card={CARD} amount={price} order={order_id}",
        "DEBUG calling {path} with Authorization: Bearer {SECRET}",
        "ERROR sms to {PHONE} failed after {quantity}; span {our_id}",
        "INFO build {version} deployed at {timestamp} commit {git_hash}",
        "INFO shipment {tracking} created for {sku}, postcode {zip_code}",
        "DEBUG env OPENAI_API_KEY={SECRET} loaded from {path}",
    ),
}


def corpus() -> list[Item]:
    """The dev items: every template, filled 12 times."""
    return make_corpus(TEMPLATES, Gen(LOCALES, SEED), per_template=12)
