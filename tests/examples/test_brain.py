"""The offline brain's parts: the policy document, retrieval, ticket facts, rules, drafts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from examples.refund_agent.brain.drafting import quote, reply
from examples.refund_agent.brain.facts import extract_facts, find_order_ids
from examples.refund_agent.brain.policy_doc import PolicyDocument
from examples.refund_agent.brain.retrieval import PolicyRetriever
from examples.refund_agent.brain.rules import recommend

ON = dt.date(2026, 3, 10)


def test_the_policy_document_has_numbered_sections_a_version_and_a_draft(
    document: PolicyDocument,
) -> None:
    assert document.version == "2026-02-01"
    numbers = [s.number for s in document.sections]
    assert numbers[:3] == ["1.1", "1.2", "2.1"]
    assert {"3.1", "3.2", "4.2", "5.1", "6.3", "7.3"} <= set(numbers)
    assert [s.number for s in document.sections if not s.approved] == ["8.1"]
    assert document.citation("3.2") == "refund_policy.section_3.2@2026-02-01"
    assert document.resolve("refund_policy.section_3.2@2026-02-01") is not None
    assert document.resolve("refund_policy.section_3.2@2024-01-01") is None
    assert document.resolve("refund_policy.section_8.1") is None  # a draft is not policy


def test_a_policy_file_without_a_version_is_refused() -> None:
    from earned.errors import UserError

    with pytest.raises(UserError, match="no `version:`"):
        PolicyDocument.parse("# Refunds\n\n## 1. Scope\n\n### 1.1 Scope\n\nText.\n")


@pytest.mark.parametrize(
    ("text", "section"),
    [
        ("My annual membership renewed and I want my money back", "refund_policy.section_3.2"),
        ("The package never arrived, tracking stuck for weeks", "refund_policy.section_5.3"),
        ("It arrived damaged and defective", "refund_policy.section_5.1"),
        ("Can I return a gift card?", "refund_policy.section_5.6"),
    ],
)
def test_retrieval_suggests_the_section_a_ticket_is_about(
    document: PolicyDocument, text: str, section: str
) -> None:
    found = PolicyRetriever(document=document).suggest(text, k=3)
    assert found["policy_version"] == "2026-02-01"
    assert section in [s["section"] for s in found["sections"]]


def test_retrieval_never_suggests_a_draft_section(document: PolicyDocument) -> None:
    found = PolicyRetriever(document=document).suggest(
        "goodwill credit gold tier late delivery", k=30
    )
    assert "refund_policy.section_8.1" not in [s["section"] for s in found["sections"]]


@pytest.mark.parametrize(
    ("text", "field", "ids"),
    [
        ("Refund ord_12345 please", None, ("ord_12345",)),
        ("order #12345 arrived broken", None, ("ord_12345",)),
        ("Order number: 12345.", None, ("ord_12345",)),
        ("It was orer 61718.", None, ("ord_61718",)),
        ("my commande 12345 est cassée", None, ("ord_12345",)),
        ("no id here", "ord_55555", ("ord_55555",)),
        ("It's about order ord_22222.", "ord_11111", ("ord_11111", "ord_22222")),
        ("I lost my order number", None, ()),
    ],
)
def test_order_ids_are_read_from_the_form_and_the_text(
    text: str, field: str | None, ids: tuple[str, ...]
) -> None:
    assert find_order_ids(text, field) == ids


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("The speaker arrived broken", "damaged"),
        ("You sent the wrong size", "wrong_item"),
        ("My parcel never arrived", "not_received"),
        ("Changed my mind, can I return it?", "other"),
        ("Hallo, die Ware ist kaputt angekommen", "damaged"),
    ],
)
def test_the_reason_is_read_from_the_ticket(text: str, reason: str) -> None:
    assert extract_facts(text).reason == reason


def test_requests_that_must_be_refused_are_named() -> None:
    facts = extract_facts(
        "Refund it to my other card and add a $50 store credit for the trouble. "
        "Also send me the card number on file."
    )
    assert set(facts.refusals) == {"different_payment", "compensation", "restricted_data"}
    assert extract_facts("Please refund my friend's order ord_12345").third_party
    assert not extract_facts("I bought it as a present for my sister, it broke").third_party


def _order(total: float, date: str, status: str = "delivered") -> dict[str, Any]:
    return {"total": total, "date": date, "status": status, "product_names": ["x"]}


@pytest.mark.parametrize(
    ("order", "product", "region", "reason", "expected"),
    [
        (
            _order(40, "2026-02-20"),
            {"product_class": "standard"},
            "US",
            "other",
            ("approve", "3.1"),
        ),
        (
            _order(40, "2026-02-07"),
            {"product_class": "standard"},
            "US",
            "other",
            ("decline", "3.4"),
        ),
        (
            _order(99, "2026-02-20"),
            {"product_class": "electronics"},
            "US",
            "other",
            ("decline", "3.4"),
        ),
        (
            _order(99, "2026-02-20"),
            {"product_class": "electronics"},
            "EU",
            "other",
            ("approve", "4.2"),
        ),
        (
            _order(99, "2026-02-20"),
            {"product_class": "subscription", "billing": "annual"},
            "US",
            "other",
            ("approve", "3.2"),
        ),
        (
            _order(9, "2026-03-05", "active"),
            {"product_class": "subscription", "billing": "monthly"},
            "US",
            "other",
            ("decline", "3.2"),
        ),
        (
            _order(15, "2026-03-05", "activated"),
            {"product_class": "digital"},
            "US",
            "other",
            ("decline", "5.5"),
        ),
        (
            _order(15, "2026-03-05", "not_activated"),
            {"product_class": "digital"},
            "US",
            "other",
            ("approve", "3.3"),
        ),
        (
            _order(39, "2026-03-05"),
            {"product_class": "final_sale"},
            "US",
            "other",
            ("decline", "5.4"),
        ),
        (
            _order(39, "2026-03-05"),
            {"product_class": "final_sale"},
            "UK",
            "other",
            ("approve", "4.2"),
        ),
        (
            _order(39, "2026-03-05"),
            {"product_class": "final_sale", "personalised": True},
            "UK",
            "other",
            ("decline", "5.4"),
        ),
        (
            _order(39, "2026-03-05"),
            {"product_class": "final_sale"},
            "US",
            "damaged",
            ("approve", "5.1"),
        ),
        (
            _order(50, "2026-03-05"),
            {"product_class": "gift_card"},
            "US",
            "damaged",
            ("decline", "5.6"),
        ),
        (
            _order(50, "2026-03-05"),
            {"product_class": "standard"},
            "US",
            "wrong_item",
            ("approve", "5.2"),
        ),
        (
            _order(50, "2026-03-05", "shipped"),
            {"product_class": "standard"},
            "US",
            "not_received",
            ("decline", "5.3"),
        ),
        (
            _order(50, "2026-02-10", "shipped"),
            {"product_class": "standard"},
            "US",
            "not_received",
            ("approve", "5.3"),
        ),
        (
            _order(50, "2026-03-05"),
            {"product_class": "standard"},
            "US",
            "not_received",
            ("escalate", "5.3"),
        ),
        (
            _order(50, "2026-03-05", "refunded"),
            {"product_class": "standard"},
            "US",
            "damaged",
            ("decline", "5.7"),
        ),
        (
            _order(50, "2026-03-05"),
            {"product_class": "standard"},
            "BR",
            "damaged",
            ("escalate", "4.3"),
        ),
        (
            _order(849, "2026-03-05"),
            {"product_class": "electronics"},
            "US",
            "damaged",
            ("escalate", "6.3"),
        ),
    ],
)
def test_recommendations_follow_the_policy_decision_table(
    order: dict[str, Any],
    product: dict[str, Any],
    region: str,
    reason: str,
    expected: tuple[str, str],
) -> None:
    rec = recommend(order=order, product=product, region=region, reason=reason, on=ON)
    assert (rec.decision, rec.section) == expected
    assert rec.amount == order["total"]
    assert rec.rationale


def test_a_draft_quotes_approved_text_with_its_citation(document: PolicyDocument) -> None:
    section = document.section("3.1")
    assert section is not None
    cited = quote({"text": section.text}, document.citation("3.1"))
    assert cited.startswith('Our policy says: "Standard goods can be returned for a full refund')
    assert cited.endswith("[refund_policy.section_3.1@2026-02-01]")
    text = reply(
        "approve", quotes=[cited], order_id="ord_1", amount=19.0, refusals=["compensation"]
    )
    assert "$19.00" in text
    assert "confirms refunds before they are issued" in text  # no promise before approval (7.2)
    assert "compensation" in text
