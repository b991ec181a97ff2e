"""Policy files: YAML, versioned by content hash; every mistake names its line and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from earned.errors import PolicyFileError
from earned.policy import CallRequest, Policy
from earned.tools import tool


@tool(risk="read")
def get_order_summary(order_id: str) -> dict[str, Any]:
    """Read an order."""
    return {}


@tool(risk="irreversible")
def submit_refund(order_id: str, amount: float) -> dict[str, Any]:
    """Submit a refund."""
    return {}


TOOLS = [get_order_summary, submit_refund]

GOOD = """\
version: 1
name: refunds
approvers: [reviewer]
rules:
  - id: reads
    effect: allow
    tools: [get_order_summary]
    roles: [operator]
    returns: [total, status]
  - id: small-refunds
    effect: allow
    tools: [submit_refund]
    when:
      amount: {lte: 25}
    stages: [conditional_auto]
    approval: waived
  - id: refunds
    effect: allow
    tools: [submit_refund]
    when:
      amount: {"<=": 500}
    approvers: [reviewer, owner]
  - id: large-refunds
    effect: deny
    tools: [submit_refund]
    when:
      amount: {gt: 500}
    reason: Refunds above $500 go to finance.
"""


def load(text: str, **kwargs: Any) -> Policy:
    return Policy.from_yaml(text, tools=TOOLS, source="policy.yaml", **kwargs)


def test_a_valid_file_loads_and_decides() -> None:
    policy = load(GOOD)
    assert policy.name == "refunds"
    assert [r.id for r in policy.rules] == ["reads", "small-refunds", "refunds", "large-refunds"]
    big = policy.check_call(
        CallRequest(tool="submit_refund", risk=submit_refund.risk, arguments={"amount": 900})
    )
    assert (big.effect, big.reason) == ("deny", "Refunds above $500 go to finance.")
    assert policy.rules[2].conditions[0].op == "lte"  # "<=" is accepted as lte


def test_from_file_and_content_hash(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(GOOD)
    assert Policy.from_file(path, tools=TOOLS).version == load(GOOD).version
    path.write_text(GOOD.replace("lte: 25", "lte: 30"))
    assert Policy.from_file(path, tools=TOOLS).version != load(GOOD).version


@pytest.mark.parametrize(
    ("change", "line", "message", "fix"),
    [
        (
            (
                "tools: [submit_refund]\n    when:\n      amount: {gt",
                "tools: [submit_refnd]\n    when:\n      amount: {gt",
            ),
            25,
            "unknown tool 'submit_refnd'",
            "did you mean 'submit_refund'",
        ),
        (
            ("amount: {gt: 500}", "amout: {gt: 500}"),
            27,
            "has no argument 'amout'",
            "did you mean 'amount'",
        ),
        (("lte: 25", "leq: 25"), 14, "unknown operator 'leq'", "did you mean 'lte'"),
        (("effect: deny", "effect: block"), 24, "effect must be one of", "valid effects"),
        (
            ("    roles: [operator]", "    role: [operator]"),
            8,
            "unknown key 'role'",
            "did you mean 'roles'",
        ),
        (
            ("stages: [conditional_auto]", "stages: [conditional-auto]"),
            15,
            "unknown stage",
            "did you mean 'conditional_auto'",
        ),
        (("lte: 25", "in: 25"), 14, "needs a list", "write e.g."),
        (("version: 1", "version: 7"), 1, "newer than this earned reads", "upgrade earned"),
        (
            (
                "  - id: reads\n    effect: allow",
                "  - id: reads\n    effect: allow\n    approval: waived\n  - id: x\n    effect: deny\n    approval: waived",
            ),
            10,
            "only applies to allow rules",
            "remove it",
        ),
    ],
)
def test_mistakes_are_reported_with_line_and_fix(
    change: tuple[str, str], line: int, message: str, fix: str
) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(PolicyFileError) as err:
        load(text)
    assert message in err.value.message
    assert err.value.details["line"] == line
    assert fix in err.value.details["fix"]
    assert str(err.value).startswith(f"policy.yaml:{line}: ")


def test_yaml_syntax_errors_have_a_line() -> None:
    with pytest.raises(PolicyFileError, match="not valid YAML") as err:
        load("rules:\n  - id: a\n    effect: [allow\n")
    assert err.value.details["line"] is not None


def test_unknown_check_names_the_registered_ones() -> None:
    text = GOOD.replace("    roles: [operator]", "    roles: [operator]\n    check: same_order")
    with pytest.raises(PolicyFileError, match="unknown check 'same_order'"):
        load(text)
    policy = load(text, predicates={"same_order": lambda req: True})
    assert policy.rules[0].predicate_name == "same_order"


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="cannot read policy file"):
        Policy.from_file(tmp_path / "nope.yaml")


def test_without_tools_names_are_not_checked() -> None:
    policy = Policy.from_yaml(GOOD.replace("submit_refund]", "other_tool]"))
    assert policy.rules[1].tools == frozenset({"other_tool"})
