"""The capability matrix file: seed 000's table as data, with errors that point at the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from earned.rollout import MatrixFileError, load_matrix, parse_matrix
from earned.stages import Stage
from tests.rollout import agents

REFUND_MATRIX = Path(__file__).parents[2] / "examples" / "refund_agent" / "capabilities.yaml"

GOOD = """\
version: 1
name: helpdesk
owner: support
capabilities:
  - name: payments
    owner: finance
    stage: approval_required
    required_eval: gates/payments.yaml
    tools: [pay]
    max_risk: irreversible
    rollback: Keep approval required
    stop_conditions:
      - id: approvals
        metric: approval_rate
        below: 0.6
"""


def fails(text: str) -> MatrixFileError:
    with pytest.raises(MatrixFileError) as caught:
        parse_matrix(text, source="capabilities.yaml")
    return caught.value


def test_the_refund_agents_matrix_is_seed_000s_table() -> None:
    matrix = load_matrix(REFUND_MATRIX)
    assert list(matrix.capabilities) == [
        "classify_ticket",
        "draft_reply",
        "read_order_details",
        "recommend_refund",
        "submit_refund",
    ]
    submit = matrix.get("submit_refund")
    assert (submit.stage, submit.rollback, submit.demotes_to()) == (
        Stage.SHADOW,
        "Keep reviewer approval required",
        Stage.APPROVAL_REQUIRED,
    )
    assert matrix.capability_for_tool("get_order_summary").name == "read_order_details"  # type: ignore[union-attr]
    assert matrix.manifest_path(submit) == REFUND_MATRIX.parent / "gates" / "submit_refund.yaml"
    assert matrix.version.startswith("refund_agent@")


def test_the_content_hash_changes_with_the_content() -> None:
    one = parse_matrix(GOOD)
    assert parse_matrix(GOOD).digest == one.digest
    assert parse_matrix(GOOD.replace("below: 0.6", "below: 0.5")).digest != one.digest


def test_no_eval_or_no_rollback_cannot_ship_past_shadow() -> None:
    error = fails(GOOD.replace("    rollback: Keep approval required\n", ""))
    assert error.details["line"] == 7
    assert "without a required eval and a rollback action" in error.message
    assert "keep it at shadow" in error.details["fix"]
    shadow = GOOD.replace("approval_required", "shadow").replace(
        "    rollback: Keep approval required\n", ""
    )
    assert parse_matrix(shadow).get("payments").stage is Stage.SHADOW


def test_mistakes_name_the_line_and_the_fix() -> None:
    typo = fails(GOOD.replace("max_risk:", "max_rsik:"))
    assert (typo.details["line"], "did you mean 'max_risk'" in typo.details["fix"]) == (10, True)
    stage = fails(GOOD.replace("stage: approval_required", "stage: beta"))
    assert stage.details["line"] == 7
    assert "approval_required" in stage.details["fix"]
    metric = fails(GOOD.replace("approval_rate", "aproval_rate"))
    assert "did you mean 'approval_rate'" in metric.message
    shape = fails(GOOD.replace("        below: 0.6\n", ""))
    assert "give exactly one of above, below, above_baseline" in shape.message
    assert fails("capabilities: []\n").message == "`capabilities` must be a non-empty list"
    assert "unsupported matrix format version 9" in fails("version: 9\ncapabilities: []\n").message


def test_a_tool_belongs_to_one_capability_only() -> None:
    twice = GOOD + GOOD[GOOD.index("  - name: payments") :].replace("name: payments", "name: pay2")
    assert "tool 'pay' belongs to 'payments' and 'pay2'" in fails(twice).message


def test_tools_are_checked_against_the_agents_tools() -> None:
    matrix = parse_matrix(GOOD.replace("tools: [pay]", "tools: [pay, lookpu]"))
    with pytest.raises(MatrixFileError, match="names unknown tool 'lookpu'"):
        matrix.check_tools(agents.AGENT.tools)
    risky = parse_matrix(GOOD.replace("max_risk: irreversible", "max_risk: internal_write"))
    with pytest.raises(MatrixFileError, match="pay' is irreversible, above capability"):
        risky.check_tools(agents.AGENT.tools)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(MatrixFileError, match="cannot read the matrix file"):
        load_matrix(tmp_path / "nope.yaml")
