"""Datasets: JSONL validated at load with line numbers, unknown fields kept, content hashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from earned.evals import (
    Dataset,
    DatasetError,
    EvalStore,
    Scenario,
    load_dataset,
    parse_dataset,
)

GOOD = [
    {
        "id": "t1",
        "input": {"text": "refund ord_1"},
        "expected_class": "refund",
        "expected_section": "refund_policy.section_3.2",
        "expected_decision": "approve",
        "expected_tools": ["get_order_summary"],
        "expected_tool_sequence": ["get_order_summary"],
        "expected_output_contains": ["refund"],
        "expected_refusal": False,
        "max_turns": 4,
        "max_cost": 0.1,
        "tags": ["golden"],
        "split": "test",
    },
    {"id": "t2", "input": "my invoice is wrong", "expected_class": "billing", "split": "train"},
]


def _jsonl(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_a_jsonl_file_loads_every_field_of_the_scenario_format(tmp_path: Path) -> None:
    path = tmp_path / "golden.jsonl"
    path.write_text(_jsonl(GOOD))
    data = load_dataset(path)
    assert (data.name, len(data), data.source) == ("golden", 2, str(path))
    first = data["t1"]
    assert first.expected_decision == "approve"
    assert first.expected_tools == ["get_order_summary"]
    assert [s.tool for s in first.sequence] == ["get_order_summary"]
    assert (first.max_turns, first.max_cost, first.split) == (4, 0.1, "test")
    assert data["t2"].expected_tools is None  # not given: the case does not check tools


def test_unknown_fields_are_kept_in_metadata() -> None:
    data = parse_dataset(
        _jsonl([{"id": "x", "input": "hi", "amount": 42.5, "metadata": {"order_id": "ord_9"}}]),
        name="d",
    )
    assert data["x"].metadata == {"amount": 42.5, "order_id": "ord_9"}


@pytest.mark.parametrize(
    ("line", "message", "fix"),
    [
        ("{not json", "not valid JSON", "one JSON object per line"),
        ('["a list"]', "must be a JSON object", '{"id"'),
        ('{"input": "no id"}', "id: Field required", "unique string"),
        ('{"id": "x"}', "input: Field required", 'needs an "input"'),
        (
            '{"id": "x", "input": "a", "expected_decision": "approved"}',
            "expected_decision: Input should be 'approve', 'decline' or 'escalate'",
            "approve, decline, escalate or null",
        ),
        ('{"id": "x", "input": "a", "max_turns": -1}', "max_turns", "whole number >= 0"),
        ('{"id": "x", "input": "a", "split": "dev"}', "split", "train, test"),
    ],
)
def test_a_bad_line_is_reported_with_its_number_and_the_fix(
    line: str, message: str, fix: str
) -> None:
    text = _jsonl(GOOD) + "\n" + line + "\n"
    with pytest.raises(DatasetError) as info:
        parse_dataset(text, name="golden", source="datasets/golden.jsonl")
    error = info.value
    assert error.details["line"] == 4  # the blank line counts
    assert message in error.message
    assert fix in error.details["fix"]
    assert error.headline().startswith("datasets/golden.jsonl:4: ")


def test_a_repeated_id_names_both_lines() -> None:
    with pytest.raises(DatasetError, match=r"'t1' is used again \(first on line 1\)") as info:
        parse_dataset(_jsonl([*GOOD, GOOD[0]]), name="d")
    assert info.value.details["line"] == 3


def test_a_missing_file_says_where_paths_are_relative_to(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="cannot read the dataset") as info:
        load_dataset(tmp_path / "nope.jsonl")
    assert "relative" in info.value.details["fix"]


def test_the_hash_is_of_the_content_not_the_bytes() -> None:
    plain = parse_dataset(_jsonl(GOOD), name="a")
    reordered = parse_dataset(
        "\n".join(json.dumps(dict(reversed(list(r.items()))), indent=None) for r in GOOD) + "\n\n",
        name="b",
    )
    assert plain.hash == reordered.hash
    assert plain.hash.startswith("sha256:")
    assert len(plain.short_hash) == 12
    changed = parse_dataset(_jsonl([{**GOOD[0], "expected_class": "billing"}, GOOD[1]]), name="a")
    assert changed.hash != plain.hash


def test_select_keeps_one_split_and_cases_without_a_split() -> None:
    data = Dataset.of("d", [*GOOD, {"id": "t3", "input": "x", "tags": ["golden"]}])
    assert [s.id for s in data.select(split="test")] == ["t1", "t3"]
    assert [s.id for s in data.select(split="train")] == ["t2", "t3"]
    assert [s.id for s in data.select(tags=["golden"])] == ["t1", "t3"]


def test_a_dataset_round_trips_through_jsonl() -> None:
    data = parse_dataset(_jsonl(GOOD), name="d")
    again = parse_dataset(data.to_jsonl(), name="d")
    assert again.hash == data.hash
    assert again.scenarios == data.scenarios


def test_trajectory_steps_may_require_arguments() -> None:
    scenario = Scenario.model_validate(
        {
            "id": "x",
            "input": "x",
            "expected_tool_sequence": [
                "get_order_summary",
                {"tool": "submit_refund", "arguments": {"amount": 20.0}},
            ],
        }
    )
    assert [(s.tool, s.arguments) for s in scenario.sequence] == [
        ("get_order_summary", {}),
        ("submit_refund", {"amount": 20.0}),
    ]


def test_datasets_are_stored_by_hash_once(sqlite_store: EvalStore) -> None:
    data = parse_dataset(_jsonl(GOOD), name="golden", source="golden.jsonl")
    sqlite_store.save_dataset(data)
    sqlite_store.save_dataset(data)
    stored = sqlite_store.dataset(data.hash)
    assert stored is not None
    assert (stored.hash, stored.name, stored.scenarios) == (data.hash, "golden", data.scenarios)
    assert sqlite_store.dataset("sha256:missing") is None
