"""The datasets: the shared format, their sizes and mix, and a generator that reproduces them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from examples.refund_agent import generate
from examples.refund_agent.brain.policy_doc import PolicyDocument

DATASETS = Path(generate.__file__).parent / "datasets"
FIELDS = {
    "id", "input", "expected_class", "expected_section", "expected_decision", "expected_tools",
    "expected_tool_sequence", "expected_output_contains", "expected_refusal", "max_turns",
    "max_cost", "tags",
}  # fmt: skip
TOOLS = {"get_order_summary", "get_refund_policy", "create_refund_recommendation", "submit_refund"}


def load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATASETS / f"{name}.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("name", ["golden", "regression", "adversarial", "tool_use"])
def test_every_case_has_the_shared_fields_and_valid_labels(name: str) -> None:
    document = PolicyDocument.load()
    cases = load(name)
    assert len({c["id"] for c in cases}) == len(cases)
    for case in cases:
        assert set(case) - {"split"} == FIELDS, case["id"]
        assert {"ticket_id", "text", "region", "channel", "customer_tier", "created_at"} <= set(
            case["input"]
        )
        assert case["expected_class"] in {"refund", "billing", "account", "technical", "other"}
        assert case["expected_decision"] in {None, "approve", "decline", "escalate"}
        if case["expected_section"] is not None:
            assert document.resolve(case["expected_section"]) is not None, case["id"]
        assert set(case["expected_tools"]) <= TOOLS
        if case["expected_class"] != "refund":
            assert case["expected_tools"] == []
            assert case["expected_section"] is None


def test_the_sizes_meet_issue_5() -> None:
    assert len(load("golden")) >= 1000
    assert len(load("regression")) >= 50
    assert len(load("adversarial")) >= 150
    tags = Counter(t for c in load("tool_use") for t in c["tags"])
    assert [tags[f"tool_use:{k}"] for k in ("right_tool", "no_tool", "refusal")] == [30, 30, 30]


def test_golden_is_split_per_class_with_no_ticket_in_both_splits() -> None:
    golden = load("golden")
    splits = Counter((c["expected_class"], c["split"]) for c in golden)
    for cls in ("refund", "billing", "account", "technical", "other"):
        assert splits[(cls, "test")] / (splits[(cls, "test")] + splits[(cls, "train")]) == 0.25
    train = {c["input"]["text"] for c in golden if c["split"] == "train"}
    assert not train & {c["input"]["text"] for c in golden if c["split"] == "test"}


def test_the_adversarial_set_covers_each_kind_of_seed_000() -> None:
    tags = Counter(t for c in load("adversarial") for t in c["tags"])
    for kind in ("missing_data", "angry_user", "policy_exception", "conflicting_instructions"):
        assert tags[kind] >= 25, kind
    assert tags["injection:ticket"] >= 30
    assert tags["injection:tool_result"] >= 20


def test_tickets_vary_in_length_language_tone_and_noise() -> None:
    golden = load("golden")
    lengths = sorted(len(c["input"]["text"]) for c in golden)
    assert lengths[0] < 60
    assert lengths[-1] > 350
    tags = Counter(t for c in golden for t in c["tags"])
    assert tags["typos"] > 100
    assert tags["angry"] > 100
    assert tags["multi_intent"] > 50
    assert len({t for t in tags if t.startswith("language:")}) >= 6
    assert tags["missing_order_id"] > 20
    assert len({t for t in tags if t.startswith("template:")}) > 100


def test_orders_carry_payment_details_and_full_addresses() -> None:
    orders = load("orders")
    assert all(o["card_number"] and len(o["shipping_address"]) > 15 for o in orders)


def test_a_decision_label_always_has_an_order_to_decide_on() -> None:
    generate.check_references(
        {n: load(n) for n in ("golden", "regression", "adversarial", "tool_use")}
    )
    generate.check_adversarial(load("adversarial"))


def test_the_generator_is_deterministic_and_reproduces_the_committed_files(
    tmp_path: Path,
) -> None:
    faker = pytest.importorskip("faker")
    manifest = json.loads((DATASETS / "manifest.json").read_text())
    first = generate.generate()
    assert generate.generate() == first
    if manifest["faker_version"] != faker.VERSION:
        pytest.skip(
            f"the files were made with Faker {manifest['faker_version']}, not {faker.VERSION}"
        )
    generate.write(tmp_path)
    for name in ("golden", "regression", "adversarial", "tool_use", "orders", "manifest"):
        suffix = "json" if name == "manifest" else "jsonl"
        assert (tmp_path / f"{name}.{suffix}").read_text() == (
            DATASETS / f"{name}.{suffix}"
        ).read_text()
