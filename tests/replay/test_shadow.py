"""Shadow mode: the agent runs on past inputs beside the humans, is compared, acts on nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from examples.refund_agent.orders import OrderDatabase

from earned.replay import (
    SHADOW_RULE,
    ShadowReport,
    ShadowRunner,
    dataset_inputs,
    live_runs,
    trace_inputs,
)
from earned.rollout import parse_matrix
from earned.store import Database
from earned.store._tables import review_decisions, runs, spans
from earned.tracing import TraceQuery, TraceStore
from tests.replay.agents import FORBIDDEN_WRITES, refund_agent
from tests.replay.conftest import GOLDEN, golden, record


async def _shadow(db: Database, agent: Any, inputs: Any, **options: Any) -> ShadowReport:
    async with ShadowRunner(db, agent, **options) as shadow:
        return await shadow.run(inputs, source="test")


async def test_shadow_on_the_golden_split_reports_agreement_per_class_and_writes_nothing(
    db: Database, orders: OrderDatabase
) -> None:
    report = await _shadow(
        db, refund_agent(), dataset_inputs(GOLDEN, split="test"), capability="submit_refund"
    )
    assert len(report.cases) == 300
    assert len(report.labelled) == 300
    by_class = {c.cls: c for c in report.per_class}
    assert sorted(by_class) == ["account", "billing", "other", "refund", "technical"]
    assert by_class["refund"].cases == 120
    assert report.agreement is not None
    assert report.agreement >= 0.95
    for row in by_class.values():
        assert (row.agreement or 0.0) >= 0.9, row
    confusion = report.confusion
    assert confusion["approve"]["approve"] >= 60
    assert confusion["none"]["none"] >= 180
    assert report.disagreements == [c for c in report.cases if c.agree is False]
    # it acted on nothing: the writes it made were simulated, the order database is untouched
    assert report.simulated_writes >= 100
    assert report.executed_writes == 0
    assert orders.refunds() == []
    assert orders.recommendations() == []
    assert report.statuses.get("failed", 0) == 0


async def test_every_shadow_run_is_stored_marked_and_carries_its_comparison(
    db: Database,
) -> None:
    cases = golden(decision="approve")[:3]
    inputs = dataset_inputs(GOLDEN, split="test")
    wanted = [i for i in inputs if i.key in {c["id"] for c in cases}]
    report = await _shadow(db, refund_agent(), wanted, capability="submit_refund")
    traces = TraceStore(db)
    for case in report.cases:
        assert case.run_id.startswith("shadow_")
        record = traces.run(case.run_id)
        assert record.stage == "shadow"
        assert record.request_id == report.session
        assert record.correlation_id == f"dataset:golden#{case.key}"
        events = traces.spans(case.run_id)
        calls = {e.attributes["tool"]: e for e in events if e.kind == "tool_call"}
        assert calls["submit_refund"].status == "simulated"
        assert calls["create_refund_recommendation"].status == "simulated"
        assert calls["get_order_summary"].status == "ok"  # reads run
        decisions = [e for e in events if e.kind == "policy_decision"]
        assert {d.attributes.get("rule_id") for d in decisions} >= {SHADOW_RULE}
        (comparison,) = [e for e in events if e.name == "shadow_comparison"]
        assert comparison.attributes["human"] == "approve"
        assert comparison.attributes["agree"] is True
    with db.engine.connect() as conn:
        live = conn.execute(sa.select(sa.func.count()).where(live_runs(runs.c.run_id)))
        assert live.scalar_one() == 0
        shadowed = conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one()
        assert shadowed == 3
        live_spans = sa.select(sa.func.count()).where(live_runs(spans.c.run_id))
        assert conn.execute(live_spans).scalar_one() == 0


async def test_disagreements_are_listed_with_both_decisions_and_the_trace_ids(
    db: Database, tmp_path: Path
) -> None:
    rows = golden(decision="approve")[:4] + golden(decision="decline")[:2]
    rows[0] = {**rows[0], "expected_decision": "decline"}  # a human who decided otherwise
    rows[4] = {**rows[4], "expected_decision": "approve"}
    dataset = tmp_path / "relabelled.jsonl"
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = await _shadow(db, refund_agent(), dataset_inputs(dataset))
    assert len(report.cases) == 6
    assert report.agreed == 4
    assert report.agreement == pytest.approx(4 / 6)
    flagged = {c.key: c for c in report.disagreements}
    assert set(flagged) == {rows[0]["id"], rows[4]["id"]}
    first = flagged[rows[0]["id"]]
    assert (first.human.label, first.agent) == ("decline", "approve")
    assert first.run_id.startswith("shadow_")
    assert report.confusion["decline"] == {"approve": 1, "decline": 1}
    data = report.to_dict()
    assert {d["key"] for d in data["disagreements"]} == set(flagged)
    assert data["disagreements"][0]["run_id"].startswith("shadow_")


async def test_a_write_tool_that_fails_the_test_if_called_is_never_called_without_a_matrix(
    db: Database,
) -> None:
    # The agent's own policy allows every write, unattended: only shadow stands in the way.
    inputs = dataset_inputs(_dataset([{"id": "one", "input": {"text": "x", "amount": 5}}]))
    report = await _shadow(db, FORBIDDEN_WRITES, inputs)
    (case,) = report.cases
    assert case.status == "completed"
    assert case.simulated == ("write_note", "move_money")
    output = TraceStore(db).run(case.run_id).output
    assert output["paid"]["simulated"] is True
    assert output["note"]["simulated"] is True
    assert output["day"]  # the read ran


async def test_a_matrix_at_its_highest_stage_does_not_make_a_shadow_run_act(
    db: Database,
) -> None:
    matrix = parse_matrix(
        """
version: 1
capabilities:
  - name: notes
    owner: ops
    stage: autonomous
    tools: [write_note, move_money, today]
    max_risk: irreversible
    required_eval: gates/notes.yaml
    rollback: switch notes off
"""
    )
    inputs = dataset_inputs(_dataset([{"id": "one", "input": {"text": "x", "amount": 5}}]))
    report = await _shadow(db, FORBIDDEN_WRITES, inputs, matrix=matrix)
    (case,) = report.cases
    assert case.status == "completed"
    assert case.simulated == ("write_note", "move_money")


async def test_shadow_from_traces_is_judged_by_the_approvals_of_the_original_runs(
    database_url: str, db: Database, orders: OrderDatabase
) -> None:
    cases = golden(decision="approve")[:3] + golden(decision="decline")[:1]

    def decide(index: int, approval: Any) -> tuple[str, Any]:
        if index == 0:
            return ("approve", None)
        if index == 1:
            return ("edit", {**approval.arguments, "amount": 1.0})
        return ("reject", "the customer already got a credit")

    recorded = await record(database_url, refund_agent(), [c["input"] for c in cases],
                            decide=decide)  # fmt: skip
    refunds_before = len(orders.refunds())
    assert refunds_before == 2  # the approved and the edited one really ran
    inputs = trace_inputs(db, TraceQuery(capability="submit_refund"))
    assert {i.source_run_id for i in inputs} == set(recorded)
    assert all(i.input_exact for i in inputs)
    report = await _shadow(db, refund_agent(), inputs, capability="submit_refund")
    by_source = {c.source_run_id: c for c in report.cases}
    approved, edited, rejected, declined = (by_source[r] for r in recorded)
    assert (approved.human.label, approved.agent, approved.agree) == ("approve", "approve", True)
    assert (edited.agree, edited.detail) == (
        False,
        "submit_refund arguments differ from what the human let run",
    )
    assert (rejected.human.label, rejected.agent, rejected.agree) == ("decline", "approve", False)
    assert declined.human.label is None
    assert declined.agree is None
    assert declined.human.note == "no approval or review decision on this run"
    assert report.agreed == 1
    assert len(report.labelled) == 3
    assert {c.cls for c in report.cases} == {"refund"}
    assert len(orders.refunds()) == refunds_before  # shadowing the traces refunded nothing


async def test_a_review_decision_on_a_draft_is_the_human_decision_it_records(
    database_url: str, db: Database
) -> None:
    (case,) = golden(decision="decline")[:1]
    (run_id,) = await record(database_url, refund_agent(), [case["input"]])
    original = TraceStore(db).run(run_id).output
    with db.engine.begin() as conn:
        conn.execute(
            review_decisions.insert().values(
                decision_id="rd_1", item_id="ri_1", item_kind="draft", run_id=run_id,
                agent="refund_agent", decision="approve_edited", reason_code="wrong_policy",
                original=original, edited={**original, "decision": "approve"}, datasets=[],
                reviewer="rita", role="reviewer", item_created_at=1.0, decided_at=2.0,
                schema_version=1,
            )
        )  # fmt: skip
    (item,) = trace_inputs(db, TraceQuery())
    assert (item.human.label, item.human.source, item.human.reference) == (
        "approve",
        "review",
        "rd_1",
    )
    report = await _shadow(db, refund_agent(), [item])
    (result,) = report.cases
    assert (result.agent, result.agree) == ("decline", False)


def _dataset(rows: list[dict[str, Any]]) -> Path:
    path = Path("cases.jsonl")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
