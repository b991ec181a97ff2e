"""workflow.yaml (the bounded-workflow spec) agrees with the tools and policy.yaml."""

from __future__ import annotations

import yaml
from examples.refund_agent.agent import POLICY_FILE
from examples.refund_agent.orders import OrderDatabase
from examples.refund_agent.spec import load_spec
from examples.refund_agent.tools import RefundTools


def test_the_spec_answers_seed_000s_questions() -> None:
    spec = load_spec()
    assert spec.job
    assert spec.owner.team
    assert spec.owner.reviews_failures
    assert spec.decisions.allowed
    assert spec.decisions.out_of_scope
    assert spec.bad_outputs
    assert {i.name for i in spec.inputs} >= {"text", "order_id", "region"}


def test_the_tools_have_the_risk_classes_the_spec_declares(tools: RefundTools) -> None:
    assert {t.name: t.risk.value for t in tools.all} == load_spec().tools


def test_readable_order_fields_are_exactly_the_tools_allowlist(tools: RefundTools) -> None:
    spec = load_spec()
    allowlist = tools.get_order_summary.returns
    assert allowlist is not None
    assert sorted(allowlist.paths) == sorted(spec.data.readable["order"])
    rules = yaml.safe_load(POLICY_FILE.read_text())["rules"]
    (read_orders,) = [r for r in rules if r["id"] == "read-orders"]
    assert sorted(read_orders["returns"]) == sorted(spec.data.readable["order"])


def test_fields_that_must_never_be_read_exist_in_the_data(orders: OrderDatabase) -> None:
    row = orders.order("ord_10001")
    assert row is not None
    assert set(load_spec().data.never_readable) <= set(row)


def test_the_policy_allows_only_the_specs_tools_and_denies_the_rest() -> None:
    rules = yaml.safe_load(POLICY_FILE.read_text())["rules"]
    named = {t for r in rules for t in r.get("tools", [])}
    assert named == set(load_spec().tools)
    assert {w.tool for w in load_spec().data.writable} == {
        "create_refund_recommendation",
        "submit_refund",
    }
