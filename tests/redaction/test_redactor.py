"""Redactor and RedactionScope: stable pseudonyms per trace, sensitive fields, bounded memory."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from earned.errors import UserError
from earned.redaction import DEFAULT_SENSITIVE_FIELDS, Redactor, normalize_field

CARD = "4111 1111 1111 1111"


def test_the_same_value_gets_the_same_pseudonym_and_new_values_count_up() -> None:
    scope = Redactor().scope("run_1")
    assert scope.text("from ana@example.com to bo@example.com") == "from <EMAIL_1> to <EMAIL_2>"
    assert scope.text("cc ana@example.com, card " + CARD) == "cc <EMAIL_1>, card <CARD_1>"


def test_two_spellings_of_one_value_share_a_pseudonym() -> None:
    scope = Redactor().scope("run_1")
    assert scope.text(f"{CARD} / 4111-1111-1111-1111 / 4111111111111111") == (
        "<CARD_1> / <CARD_1> / <CARD_1>"
    )
    assert scope.text("Ana@Example.com ana@example.com") == "<EMAIL_1> <EMAIL_1>"


def test_scopes_are_independent_and_a_replay_gets_the_same_pseudonyms() -> None:
    redactor = Redactor()
    first = redactor.scope("run_1")
    assert first.text("bo@example.com") == "<EMAIL_1>"
    assert first.text("ana@example.com") == "<EMAIL_2>"
    assert redactor.scope("run_2").text("ana@example.com") == "<EMAIL_1>"
    assert redactor.scope("run_1") is first
    replayed = Redactor().scope("run_1")  # a new process replaying the run's events
    assert [replayed.text(t) for t in ("bo@example.com", "ana@example.com")] == [
        "<EMAIL_1>",
        "<EMAIL_2>",
    ]


def test_value_walks_dicts_and_lists_and_leaves_other_values_alone() -> None:
    scope = Redactor().scope("run_1")
    value = {
        "order_id": "ord_1001",
        "total": 19.5,
        "count": 3,
        "ok": True,
        "missing": None,
        "notes": ["call +1 (415) 555-0132", {"from": "ana@example.com"}],
        "card_as_number": 4111111111111111,
    }
    assert scope.value(value) == {
        "order_id": "ord_1001",
        "total": 19.5,
        "count": 3,
        "ok": True,
        "missing": None,
        "notes": ["call <PHONE_1>", {"from": "<EMAIL_1>"}],
        "card_as_number": "<CARD_1>",
    }
    assert value["notes"][1] == {"from": "ana@example.com"}  # the input is not changed


def test_a_value_under_a_sensitive_field_is_replaced_whole() -> None:
    scope = Redactor(sensitive_fields={"loyalty_code", "customer.dob"}).scope("run_1")
    redacted = scope.value(
        {
            "loyalty_code": "GOLD-7781",
            "password": "hunter2",
            "card_number": CARD,
            "customer": {"dob": "1990-04-01", "name": "Ana"},
            "dob": "not this one",
            "apiKey": {"nested": "object"},
        }
    )
    assert redacted == {
        "loyalty_code": "<SENSITIVE:loyalty_code_1>",
        "password": "<SENSITIVE:password_1>",
        "card_number": "<CARD_1>",  # the whole value is one card: its own pseudonym
        "customer": {"dob": "<SENSITIVE:dob_1>", "name": "Ana"},
        "dob": "not this one",
        "apiKey": "<SENSITIVE:api_key_1>",
    }
    assert scope.value("GOLD-7781", field="loyalty_code") == "<SENSITIVE:loyalty_code_1>"
    assert scope.value("GOLD-9999", field="Loyalty-Code") == "<SENSITIVE:loyalty_code_2>"


def test_field_names_are_normalised() -> None:
    assert normalize_field("cardNumber") == "card_number"
    assert normalize_field("Card-Number") == "card_number"
    assert normalize_field("X-API-Key") == "x_api_key"
    assert normalize_field("customer.Email") == "customer.email"
    assert "password" in DEFAULT_SENSITIVE_FIELDS
    assert Redactor(default_fields=False).is_sensitive("password") is False


def test_objects_that_are_not_json_are_converted_then_redacted() -> None:
    @dataclass
    class Contact:
        email: str

    scope = Redactor().scope("run_1")
    assert scope.value({"contact": Contact("ana@example.com")}) == {
        "contact": {"email": "<EMAIL_1>"}
    }


def test_live_scopes_are_bounded_least_recently_used_first() -> None:
    redactor = Redactor(max_scopes=2)
    a = redactor.scope("a")
    redactor.scope("b")
    assert redactor.scope("a") is a  # "a" is now the most recent
    redactor.scope("c")  # evicts "b"
    assert redactor.live_scopes == 2
    assert redactor.scope("a") is a
    redactor.forget("a")
    assert redactor.scope("a") is not a


def test_a_scope_remembers_a_bounded_number_of_values_and_not_the_values() -> None:
    scope = Redactor(max_values=2).scope("run_1")
    assert scope.text("a1@example.com b2@example.com") == "<EMAIL_1> <EMAIL_2>"
    assert scope.text("c3@example.com") == "<EMAIL>"  # past the bound: unnumbered
    assert scope.text("a1@example.com") == "<EMAIL_1>"
    assert "a1@example.com" not in repr(vars(scope))


def test_bad_bounds_are_refused_with_the_values() -> None:
    with pytest.raises(UserError, match="at least 1, got 0 and 5"):
        Redactor(max_scopes=0, max_values=5)


def test_redaction_is_idempotent() -> None:
    scope = Redactor().scope("run_1")
    once = scope.value({"text": f"ana@example.com paid with {CARD}", "password": "x" * 8})
    assert scope.value(once) == once


def test_pseudonyms_are_consistent_across_threads() -> None:
    scope = Redactor().scope("run_1")
    emails = [f"user{i}@example.com" for i in range(50)]
    results: dict[str, set[str]] = {e: set() for e in emails}

    def work() -> None:
        for email in emails:
            results[email].add(scope.text(email))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(names) == 1 for names in results.values())
    assert len({next(iter(names)) for names in results.values()}) == 50
