"""What each built-in detector finds, and the look-alikes it must leave alone."""

from __future__ import annotations

import re

import pytest

from earned.errors import UserError
from earned.redaction import (
    PatternDetector,
    Redactor,
    default_detectors,
    iban_valid,
    luhn_valid,
    shannon_entropy,
)

REDACTOR = Redactor()


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in REDACTOR.find(text)]


FOUND: list[tuple[str, str, str]] = [
    # (kind, value, text with {} where the value goes)
    ("EMAIL", "ana.lopez+tickets@example.co.uk", "reach me at {}."),
    ("EMAIL", "José.Núñez@correo.es", "mail: {}"),
    ("PHONE", "+1 (415) 555-0132", "call {} today"),
    ("PHONE", "(415) 555-0132", "phone: {}"),
    ("PHONE", "415.555.0132x204", "office {}"),
    ("PHONE", "+44 20 7946 0958", "UK office {}"),
    ("PHONE", "020 7946 0958", "ring {}"),
    ("PHONE", "+49 (0) 30 1234567", "Tel. {}"),
    ("PHONE", "01 23 45 67 89", "appelez le {}"),
    ("PHONE", "0033 1 23 45 67 89", "ou {}"),
    ("PHONE", "4155550132", "my mobile is {}"),
    ("CARD", "4111 1111 1111 1111", "card {} exp 12/27"),
    ("CARD", "5500-0000-0000-0004", "paid with {}."),
    ("CARD", "378282246310005", "amex {}"),
    ("CARD", "3782 822463 10005", "amex {}"),
    ("CARD", "6011111111111117", "discover:{}"),
    ("IBAN", "DE89 3704 0044 0532 0130 00", "IBAN {} EUR"),
    ("IBAN", "GB82WEST12345698765432", "to {}"),
    ("IBAN", "FR1420041010050500013M02606", "IBAN: {}"),
    ("SSN", "123-45-6789", "SSN {}"),
    ("SSN", "123 45 6789", "ssn {}"),
    ("SSN", "123456789", "SSN: {}"),
    ("IP", "203.0.113.7", "from {} at noon"),
    ("IP", "10.1.2.3", "host={}"),
    ("IP", "2001:db8::8a2e:370:7334", "ip {}"),
    ("IP", "fe80::1ff:fe23:4567:890a%eth0", "link {}"),
    ("ADDRESS", "1600 Amphitheatre Parkway, Mountain View, CA 94043", "HQ: {}."),
    ("ADDRESS", "4890 Bowers View Apt. 883", "ship to {}"),
    ("ADDRESS", "42 oak street", "i live at {} now"),
    ("ADDRESS", "10 Downing Street", "send it to {}"),
    ("ADDRESS", "Hauptstraße 5", "Lieferung an {}, Berlin"),
    ("ADDRESS", "Judith-Kusch-Straße 658", "an {}"),
    ("ADDRESS", "Kerkstraat 12", "naar {}"),
    ("ADDRESS", "12, rue de la Paix", "au {}"),
    ("ADDRESS", "Calle Mayor 5", "en {}"),
    ("ADDRESS", "Via Roma, 10", "a {}"),
    ("SECRET", "sk-proj-" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9", "key {}"),
    ("SECRET", "sk-ant-api03-" + "x" * 40 + "Ab12", "ANTHROPIC_API_KEY={}"),
    ("SECRET", "AKIAIOSFODNN7EXAMPLE", "aws {}"),
    ("SECRET", "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "token {}"),
    ("SECRET", "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx", "slack {}"),
    ("SECRET", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "stripe {}"),
    ("SECRET", "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "google {}"),
    (
        "SECRET",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "cookie session={}",
    ),
    (
        "SECRET",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7x\n-----END RSA PRIVATE KEY-----",
        "key:\n{}\n",
    ),
    ("SECRET", "dGhpc2lzYXNlY3JldHRva2VuMTIz", "Authorization: Bearer {}"),
    ("SECRET", "hunter2hunter2", "password=hunter2hunter2 ok".replace("hunter2hunter2", "{}")),
    ("SECRET", "s3cr3t-Pa55", "postgres://app:{}@db:5432/app"),
    ("SECRET", "Zx8kQ2mP9vL4tR7wY1nB3cD5", "use {} for the sandbox"),
    ("SECRET", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws secret {}"),
]


@pytest.mark.parametrize(("kind", "value", "template"), FOUND)
def test_detectors_find_each_kind_in_context(kind: str, value: str, template: str) -> None:
    assert (kind, value) in kinds(template.format(value))


LEFT_ALONE: list[str] = [
    "order ord_1001 for $1,234.56 shipped 2024-03-15 12:30:45 (v1.2.3)",
    "run run_65f1a2b3c4d5e6f7a8b9c0d1e2:12 idem_0123456789abcdef0123456789abcdef",
    "uuid 550e8400-e29b-41d4-a716-446655440000 / 550E8400-E29B-41D4-A716-446655440000",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b and sha256 "
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "tracking 1Z999AA10123456784 and 9400 1000 0000 0000 0000 00, SKU-4821-XL",
    "EAN 4006381333931, ISBN 978-3-16-148410-0, invoice INV-2024-00017",
    "on 15.03.2024 at 10:30, or 03/15/2024, price 1.299,00 €, 12 items, 250 ms",
    "MAC 00:1A:2B:3C:4D:5E, std::vector, localhost 127.0.0.1 and ::1",
    "getOrderSummaryForCustomer2024 in /Users/JohnSmith/Documents/Report2024Final.pdf",
    "tool call call_AbC123xYz456QwE789rTy000, message msg_01XFDUDYJgAACzvnptvVoYEL",
    "3 items on the road, a 2 hour drive, max_tokens=1000, token: 12",
    "Bearer of bad news; the basic plan; Authorization header missing",
    "<EMAIL_1> wrote to <PHONE_2> about <SENSITIVE:card_number_1>",
]


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "GB82WEST12345698765431",  # mod-97 fails
        "000-12-3456 and 666-12-3456 and 900-12-3456 and 123-00-4567",  # SSA rules
        "999.1.2.3 and 1.2.3.4.5",  # not IPv4
        "9111 1111 1111 1111",  # no issuer starts with 9
    ],
)
def test_checksums_and_number_rules_reject_near_misses(text: str) -> None:
    assert kinds(text) == []


def test_a_card_inside_a_longer_group_run_is_cut_to_its_groups() -> None:
    text = "ref 12 4111 1111 1111 1111 2027"
    assert kinds(text) == [("CARD", "4111 1111 1111 1111")]


def test_an_iban_is_cut_to_its_country_length() -> None:
    assert kinds("IBAN DE89 3704 0044 0532 0130 00 EUR ok") == [
        ("IBAN", "DE89 3704 0044 0532 0130 00")
    ]


def test_stronger_detectors_win_overlaps() -> None:
    found = REDACTOR.find("token=AKIAIOSFODNN7EXAMPLE and mail ops@example.com")
    assert [(f.kind, f.detector) for f in found] == [
        ("SECRET", "known_key_format"),
        ("EMAIL", "email"),
    ]


def test_checks() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert iban_valid("DE89370400440532013000")
    assert not iban_valid("DE8937040044053201300")  # one short
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == 2.0


def test_a_finding_never_shows_its_value_in_its_repr() -> None:
    (finding,) = REDACTOR.find("mail ana@example.com")
    assert "ana@example.com" not in repr(finding)
    assert finding.value == "ana@example.com"


def test_detectors_can_be_chosen_by_kind_and_extended() -> None:
    only_email = Redactor(detectors=default_detectors(["EMAIL"]))
    assert [f.kind for f in only_email.find("ana@example.com 203.0.113.7")] == ["EMAIL"]
    employee = PatternDetector(name="employee_id", kind="EMPLOYEE", pattern=r"\bEMP-\d{6}\b")
    custom = Redactor(detectors=[*default_detectors(), employee])
    assert custom.scope("t").text("badge EMP-123456") == "badge <EMPLOYEE_1>"
    with pytest.raises(UserError, match=re.escape("unknown entity kinds ['EMAILS']")):
        default_detectors(["EMAILS"])
