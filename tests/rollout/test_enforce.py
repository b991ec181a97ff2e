"""The same tool call gets a different decision at each stage, and flags switch it off live."""

from __future__ import annotations

from typing import Any

import pytest

from earned.policy import CallRequest
from earned.rollout import RolloutStore, StagedPolicy, in_cohort
from earned.rollout._matrix import CohortSpec
from earned.stages import Stage
from earned.store import Database
from earned.tools import RiskClass
from tests.rollout import agents


def staged(db: Database, payments: Stage) -> tuple[StagedPolicy, RolloutStore]:
    matrix = agents.matrix(payments)
    store = RolloutStore(db)
    store.ensure(matrix)
    return StagedPolicy(agents.POLICY, matrix, store), store


def pay(amount: float = 10.0, **extra: Any) -> CallRequest:
    fields: dict[str, Any] = {
        "tenant": "acme",
        "user": "u1",
        "attributes": {"region": "US"},
        "tool_requires_approval": True,  # irreversible tools always do
    }
    fields.update(extra)
    return CallRequest(
        tool="pay",
        risk=RiskClass.IRREVERSIBLE,
        arguments={"order_id": "o1", "amount": amount},
        **fields,
    )


EXPECTED = {
    Stage.DISABLED: ("deny", "stage:disabled"),
    Stage.SHADOW: ("simulate", "stage:shadow"),
    Stage.ASSIST: ("simulate", "stage:assist"),
    Stage.APPROVAL_REQUIRED: ("require_approval", "tool-default:pay"),
    Stage.LIMITED: ("require_approval", "tool-default:pay"),
    Stage.EXPANDED: ("require_approval", "tool-default:pay"),
    Stage.CONDITIONAL_AUTO: ("allow", "small-payments"),
    Stage.AUTONOMOUS: ("allow", "small-payments"),
}


@pytest.mark.parametrize("stage", list(Stage))
def test_a_small_payment_is_decided_by_the_capabilitys_stage(db: Database, stage: Stage) -> None:
    policy, _ = staged(db, stage)
    decision = policy.check_call(pay(10.0))
    assert (decision.effect, decision.rule_id) == EXPECTED[stage]
    assert (decision.capability, decision.stage) == ("payments", stage.value)


def test_rules_still_deny_what_they_deny_and_shadow_shows_it(db: Database) -> None:
    policy, _ = staged(db, Stage.SHADOW)
    decision = policy.check_call(pay(900.0))
    assert (decision.effect, decision.rule_id) == ("deny", "default-deny")


def test_reads_execute_in_shadow_and_internal_writes_run_in_assist(db: Database) -> None:
    policy, store = staged(db, Stage.SHADOW)
    read = CallRequest(tool="lookup", risk=RiskClass.READ, arguments={"order_id": "o1"})
    assert policy.check_call(read).effect == "allow"
    store.set_stage("orders", Stage.SHADOW, actor="t", reason="test")
    assert policy.check_call(read).effect == "allow"  # reads are never simulated
    note = CallRequest(
        tool="note", risk=RiskClass.INTERNAL_WRITE, arguments={"order_id": "o1", "text": "x"}
    )
    assert policy.check_call(note).effect == "allow"  # notes are at assist


def test_approval_required_puts_a_human_on_every_write_the_rules_let_through(
    db: Database,
) -> None:
    policy, store = staged(db, Stage.AUTONOMOUS)
    note = CallRequest(
        tool="note", risk=RiskClass.INTERNAL_WRITE, arguments={"order_id": "o1", "text": "x"}
    )
    assert policy.check_call(note).effect == "allow"
    store.set_stage("notes", Stage.APPROVAL_REQUIRED, actor="po", reason="test")
    decision = policy.check_call(note)
    assert (decision.effect, decision.rule_id) == ("require_approval", "stage:approval_required")
    assert decision.approvers  # someone is named to decide


def test_a_tool_no_capability_grants_is_denied(db: Database) -> None:
    policy, _ = staged(db, Stage.AUTONOMOUS)
    decision = policy.check_call(CallRequest(tool="refund_all", risk=RiskClass.IRREVERSIBLE))
    assert (decision.effect, decision.rule_id) == ("deny", "matrix:unassigned")
    assert "add it to one capability's tools" in decision.reason


def test_limited_serves_its_cohort_and_asks_a_human_for_everyone_else(db: Database) -> None:
    policy, _ = staged(db, Stage.LIMITED)
    inside = policy.check_call(pay(10.0, stage="autonomous"))
    outside = policy.check_call(pay(10.0, attributes={"region": "EU"}))
    assert (inside.stage, inside.rule_id) == ("limited", "tool-default:pay")
    assert (outside.effect, outside.stage) == ("require_approval", "approval_required")


def test_a_sticky_percentage_keeps_its_keys_as_it_grows() -> None:
    keys = [f"tenant-{i}" for i in range(2000)]
    five = {k for k in keys if in_cohort(CohortSpec(by="tenant", percent=5), {"tenant": k})}
    twenty = {k for k in keys if in_cohort(CohortSpec(by="tenant", percent=20), {"tenant": k})}
    assert 0.035 < len(five) / len(keys) < 0.065
    assert 0.17 < len(twenty) / len(keys) < 0.23
    assert five <= twenty
    assert not in_cohort(CohortSpec(by="tenant", percent=100), {})  # no key: not in


def test_a_run_may_ask_for_less_autonomy_never_more(db: Database) -> None:
    policy, _ = staged(db, Stage.CONDITIONAL_AUTO)
    assert policy.check_call(pay(10.0, stage="shadow")).effect == "simulate"
    higher = policy.check_call(pay(10.0, stage="autonomous"))
    assert higher.stage == "conditional_auto"


def test_flags_switch_calls_off_on_the_very_next_call(db: Database) -> None:
    policy, store = staged(db, Stage.AUTONOMOUS)
    read = CallRequest(tool="lookup", risk=RiskClass.READ, arguments={"order_id": "o1"})
    assert policy.check_call(pay()).effect == "allow"

    store.set_flag("*", "auto_action_enabled", False, actor="oncall", reason="incident")
    decision = policy.check_call(pay())
    assert (decision.effect, decision.rule_id) == ("require_approval", "flag:auto_action_enabled")

    store.set_flag("*", "write_tools_enabled", False, actor="oncall", reason="incident")
    assert policy.check_call(pay()).rule_id == "flag:write_tools_enabled"
    assert policy.check_call(read).effect == "allow"  # reads stay live

    store.set_flag("orders", "enabled", False, actor="oncall", reason="bad reads")
    assert policy.check_call(read).rule_id == "flag:orders/enabled"

    store.set_flag("*", "agent_enabled", False, actor="oncall", reason="stop everything")
    assert policy.check_call(read).rule_id == "flag:agent_enabled"


def test_the_stage_a_call_sees_is_read_fresh_every_call(db: Database) -> None:
    policy, store = staged(db, Stage.SHADOW)
    assert policy.check_call(pay()).effect == "simulate"
    store.set_stage("payments", Stage.APPROVAL_REQUIRED, actor="po", reason="shadow done")
    assert policy.check_call(pay()).effect == "require_approval"
    store.set_stage("payments", Stage.DISABLED, actor="oncall", reason="incident")
    assert policy.check_call(pay()).effect == "deny"
