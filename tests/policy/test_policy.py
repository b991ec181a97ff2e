"""Policy decides, not the model: deny by default, most restrictive rule wins."""

from __future__ import annotations

from typing import Any

import pytest

from earned.errors import PolicyFileError
from earned.policy import CallRequest, Policy, Rule
from earned.tools import RiskClass, Tool, tool


@tool(risk="read")
def get_order_summary(order_id: str) -> dict[str, Any]:
    """Read an order."""
    return {"order_id": order_id}


@tool(risk="irreversible")
def submit_refund(order_id: str, amount: float) -> dict[str, Any]:
    """Submit a refund."""
    return {"ok": True}


@tool(risk="internal_write")
def add_note(text: str) -> str:
    """Add a note."""
    return text


TOOLS: list[Tool[Any, Any]] = [get_order_summary, submit_refund, add_note]


def request(tool_: Tool[Any, Any], **kwargs: Any) -> CallRequest:
    arguments = kwargs.pop("arguments", {})
    return CallRequest(
        tool=tool_.name,
        risk=tool_.risk,
        arguments=arguments,
        tool_requires_approval=tool_.approval_required,
        **kwargs,
    )


REFUND_POLICY = Policy(
    [
        Rule.build("reads", "allow", tools=["get_order_summary"], roles=["operator"]),
        Rule.build("notes", "allow", tools=["add_note"]),
        Rule.build(
            "small",
            "allow",
            tools=["submit_refund"],
            when={"amount": {"lte": 25}},
            approval_waived=True,
            stages=["conditional_auto"],
        ),
        Rule.build(
            "refunds",
            "allow",
            tools=["submit_refund"],
            when={"amount": {"lte": 500}},
            approvers=["reviewer", "owner"],
        ),
        Rule.build(
            "big",
            "deny",
            tools=["submit_refund"],
            when={"amount": {"gt": 500}},
            reason="refunds above $500 go to finance",
        ),
    ],
    name="refunds",
)


def test_a_call_no_rule_allows_is_denied_by_default() -> None:
    decision = REFUND_POLICY.check_call(request(get_order_summary, role="viewer"))
    assert decision.effect == "deny"
    assert decision.rule_id == "default-deny"
    assert "role 'viewer'" in decision.reason


def test_empty_policy_denies_everything() -> None:
    assert Policy([]).check_call(request(get_order_summary)).effect == "deny"


def test_allow_rule_scoped_by_role() -> None:
    decision = REFUND_POLICY.check_call(request(get_order_summary, role="operator"))
    assert (decision.effect, decision.rule_id) == ("allow", "reads")
    assert decision.policy_version == REFUND_POLICY.version


@pytest.mark.parametrize(
    ("amount", "stage", "effect", "rule"),
    [
        (10, "conditional_auto", "allow", "small"),
        (10, "approval_required", "require_approval", "tool-default:submit_refund"),
        (100, "conditional_auto", "require_approval", "tool-default:submit_refund"),
        (900, "conditional_auto", "deny", "big"),
    ],
)
def test_argument_constraints_and_stages_pick_the_decision(
    amount: float, stage: str, effect: str, rule: str
) -> None:
    decision = REFUND_POLICY.check_call(
        request(submit_refund, arguments={"amount": amount}, stage=stage)
    )
    assert (decision.effect, decision.rule_id) == (effect, rule)


def test_the_most_restrictive_matching_rule_wins() -> None:
    extra = Rule.build("all-reviewed", "require_approval", tools=["submit_refund"])
    stricter = Policy([*REFUND_POLICY.rules, extra])
    decision = stricter.check_call(
        request(submit_refund, arguments={"amount": 10}, stage="conditional_auto")
    )
    assert (decision.effect, decision.rule_id) == ("require_approval", "all-reviewed")
    denied = stricter.check_call(request(submit_refund, arguments={"amount": 900}))
    assert denied.effect == "deny"


def test_irreversible_tools_need_approval_unless_a_rule_waives_it() -> None:
    plain = Policy([Rule.build("refunds", "allow", tools=["submit_refund"])])
    decision = plain.check_call(request(submit_refund, arguments={"amount": 5}))
    assert decision.effect == "require_approval"
    assert decision.rule_id == "tool-default:submit_refund"
    assert decision.approvers == ("reviewer",)


def test_a_tainted_run_needs_approval_for_every_write_even_when_waived() -> None:
    decision = REFUND_POLICY.check_call(
        request(submit_refund, arguments={"amount": 10}, stage="conditional_auto", tainted=True)
    )
    assert (decision.effect, decision.rule_id) == ("require_approval", "tainted-run")
    note = REFUND_POLICY.check_call(request(add_note, tainted=True))
    assert note.effect == "require_approval"
    read = REFUND_POLICY.check_call(request(get_order_summary, role="operator", tainted=True))
    assert read.effect == "allow"


def test_approvers_come_from_the_rule_that_asked() -> None:
    decision = REFUND_POLICY.check_call(request(submit_refund, arguments={"amount": 100}))
    assert decision.approvers == ("reviewer", "owner")


def test_tenant_and_environment_scopes() -> None:
    policy = Policy(
        [Rule.build("t", "allow", tools=["add_note"], tenants=["acme"], environments=["prod"])]
    )
    assert policy.check_call(request(add_note, tenant="acme", environment="prod")).allowed
    assert not policy.check_call(request(add_note, tenant="other", environment="prod")).allowed
    assert not policy.check_call(request(add_note, tenant="acme", environment="dev")).allowed


def test_python_predicates_constrain_arguments() -> None:
    def same_order(req: CallRequest) -> bool:
        return str(req.arguments.get("order_id", "")).startswith("ord_")

    policy = Policy([Rule.build("p", "allow", tools=["get_order_summary"], predicate=same_order)])
    assert policy.check_call(request(get_order_summary, arguments={"order_id": "ord_1"})).allowed
    assert not policy.check_call(request(get_order_summary, arguments={"order_id": "x"})).allowed


def test_result_checks_can_withhold_a_result() -> None:
    def no_cards(req: CallRequest, value: Any) -> str | None:
        return "result contains a card number" if "4111" in str(value) else None

    policy = Policy([Rule.build("r", "allow", tools=["get_order_summary"], result_check=no_cards)])
    req = request(get_order_summary)
    assert policy.check_result(req, {"card": "4111 1111"}).withheld
    assert not policy.check_result(req, {"total": 3}).withheld


def test_policy_returns_narrow_the_tool_allowlist() -> None:
    policy = Policy([Rule.build("r", "allow", tools=["get_order_summary"], returns=["total"])])
    assert policy.check_call(request(get_order_summary)).returns == ("total",)


def test_confidence_is_not_an_input() -> None:
    fields = set(CallRequest.__dataclass_fields__)
    assert not {"confidence", "reason", "model_reason"} & fields


def test_version_is_a_content_hash() -> None:
    same = Policy(list(REFUND_POLICY.rules), name="refunds")
    assert same.version == REFUND_POLICY.version
    changed = Policy(list(REFUND_POLICY.rules[:-1]), name="refunds")
    assert changed.version != REFUND_POLICY.version


def test_unknown_tools_and_fields_are_rejected_against_the_agent_tools() -> None:
    with pytest.raises(PolicyFileError, match="unknown tool 'submit_refnd'") as err:
        Policy([Rule.build("x", "allow", tools=["submit_refnd"])]).validate_tools(TOOLS)
    assert "did you mean tool 'submit_refund'" in str(err.value)
    with pytest.raises(PolicyFileError, match="no argument 'amout'"):
        Policy(
            [Rule.build("x", "allow", tools=["submit_refund"], when={"amout": {"lt": 3}})]
        ).validate_tools(TOOLS)


def test_duplicate_rule_ids_are_rejected() -> None:
    with pytest.raises(PolicyFileError, match="repeated: a"):
        Policy([Rule.build("a", "allow"), Rule.build("a", "deny")])


def test_risk_scope() -> None:
    policy = Policy(
        [
            Rule.build("all", "allow", tools=["*"]),
            Rule.build("no-writes", "deny", risks=[RiskClass.IRREVERSIBLE], environments=["dev"]),
        ]
    )
    assert policy.check_call(request(submit_refund, environment="dev")).effect == "deny"
    assert policy.check_call(request(add_note, environment="dev")).effect == "allow"
