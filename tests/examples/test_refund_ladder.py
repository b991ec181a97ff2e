"""The refund agent earns its autonomy, stage by stage, and loses it again by itself.

Seed 000's story on the real parts (durable runs, the project database, the real eval runner,
approvals decided by a simulated reviewer, the scheduled stop-condition monitor):

1. shadow on historical tickets: decisions compared with the labels, no refund made;
2. promotion refused without an eval and 30 days of shadow, granted with both;
3. assist: recommendations written for reviewers, refunds still simulated;
4. approval_required: every refund waits for the reviewer and runs exactly once;
5. conditional_auto refused until the approval history suffices;
6. conditional_auto: refunds of $25 or less with an exact policy match run unattended;
7. a bad release recommends unsafe refunds; the reviewer rejects them; the approval-rate
   stop condition trips and the capability falls back to approval_required by itself.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from examples.refund_agent import flow
from examples.refund_agent.agent import build_agent
from examples.refund_agent.orders import OrderDatabase

from earned.approvals import ApprovalSettings
from earned.evals import EvalProject, EvalRunner, EvalStore, run_project
from earned.rollout import (
    ApprovalHistoryGate,
    CapabilityMatrix,
    Demotion,
    Promotion,
    load_matrix,
)
from earned.runtime import Engine, Principal, RunResult, Workflow
from earned.runtime import _durable as durable
from earned.stages import Stage
from earned.store import AuditLog, Database
from earned.store._tables import capability_states

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).parents[2] / "examples" / "refund_agent"
SUPPORT = Principal(user="helpdesk", role="operator", tenant="acme")
DAY = 86_400.0


def golden(decision: str) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (EXAMPLE / "datasets" / "golden.jsonl").open()]
    return [r for r in rows if r["split"] == "test" and r["expected_decision"] == decision]


APPROVE, DECLINE = golden("approve"), golden("decline")


def ladder_matrix() -> CapabilityMatrix:
    """The example's matrix; 20 approval decisions instead of seed 001's 100, to stay quick
    (thresholds are per capability; tests/rollout/test_promote.py runs the 100)."""
    matrix = load_matrix(EXAMPLE / "capabilities.yaml")
    history = ApprovalHistoryGate(min_decisions=20, min_rate=0.97, no_rejection_days=30)
    specs = [
        s.model_copy(update={"approval_history": history}) if s.name == "submit_refund" else s
        for s in matrix.capabilities.values()
    ]
    return CapabilityMatrix(
        specs, name=matrix.name, owner=matrix.owner, source=matrix.source, base=matrix.base
    )


class Reviewer:
    """Decides every pending refund as a trained reviewer would: by the ticket's label."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.truth: dict[str, str] = {}
        self.approved = self.rejected = 0

    async def work(self) -> None:
        while True:
            for request in self.engine.approvals.list(status="pending"):
                if request.run_id not in self.truth:
                    continue
                if self.truth[request.run_id] == "approve":
                    self.engine.approvals.approve(
                        request.approval_id, actor="rita", role="reviewer", tenant="acme"
                    )
                    self.approved += 1
                else:
                    self.engine.approvals.reject(
                        request.approval_id,
                        actor="rita",
                        role="reviewer",
                        tenant="acme",
                        reason="unsafe_action: the policy declines it",
                    )
                    self.rejected += 1
            await asyncio.sleep(0.05)


class Alerts:
    def __init__(self) -> None:
        self.sent: list[Demotion] = []

    def send(self, demotion: Demotion) -> None:
        self.sent.append(demotion)


async def handle(engine: Engine, reviewer: Reviewer, rows: list[dict[str, Any]]) -> list[RunResult]:
    """Run the tickets concurrently; the reviewer knows each one's label."""
    handles = []
    for row in rows:
        started = await engine.start("refund_agent", row["input"], principal=SUPPORT)
        reviewer.truth[started.run_id] = row["expected_decision"]
        handles.append(started)
    return list(await asyncio.gather(*(h.result() for h in handles)))


def age(db: Database, capability: str, days: float) -> None:
    """Time passes: the capability has been at its stage for `days` more days."""
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(capability_states)
            .where(capability_states.c.capability == capability)
            .values(stage_since=capability_states.c.stage_since - days * DAY)
        )


def unmet(promotion: Promotion) -> dict[str, str]:
    return {g.gate: g.detail for g in promotion.check("submit_refund").unmet}


@pytest.fixture
async def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> AsyncIterator[tuple[Engine, Reviewer, Alerts, OrderDatabase, Promotion, Database]]:
    monkeypatch.chdir(tmp_path)  # the eval project's agent keeps its orders under ./.earned
    orders = OrderDatabase(tmp_path / "orders.db")
    agent: Workflow = build_agent(orders=orders, cache_dir=tmp_path / "cache")
    matrix, alerts = ladder_matrix(), Alerts()
    settings = ApprovalSettings(timeout=600, poll_interval=0.2)
    engine = Engine(
        [agent],
        database_url=database_url,
        matrix=matrix,
        approval_settings=settings,
        alerts=[alerts],
    )
    async with engine:
        reviewer = Reviewer(engine)
        task = asyncio.create_task(reviewer.work())
        assert engine.db is not None
        promotion = Promotion(engine.db, matrix, engine.rollout.store)
        yield engine, reviewer, alerts, orders, promotion, engine.db
        task.cancel()


def _submit_rule(result: RunResult) -> str | None:
    """The rule that decided the run's submit_refund call, if it made one."""
    rules = [d["rule_id"] for d in result.decisions if d["tool"] == "submit_refund"]
    return rules[-1] if rules else None


def decisions(results: list[RunResult]) -> list[str | None]:
    return [(r.output or {}).get("decision") for r in results]


async def test_the_refund_agent_walks_the_ladder_and_falls_back_by_itself(
    world: tuple[Engine, Reviewer, Alerts, OrderDatabase, Promotion, Database],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, reviewer, alerts, orders, promotion, db = world
    stage: Callable[[], Stage] = lambda: engine.rollout.store.state("submit_refund").stage  # noqa: E731
    assert stage() is Stage.SHADOW

    # 1. Shadow on historical tickets: the agent decides, nothing is refunded.
    tickets = APPROVE[:20] + DECLINE[:10]
    results = await handle(engine, reviewer, tickets)
    agreement = sum(
        d == t["expected_decision"] for d, t in zip(decisions(results), tickets, strict=True)
    )
    assert agreement / len(tickets) >= 0.95
    assert orders.refunds() == []
    assert all(
        "refund submitted" in r.output["action"]
        for r in results[:20]
        if r.output["decision"] == "approve"
    )
    simulated = [
        s
        for r in results
        for s in engine.spans.spans(r.run_id)
        if s.kind == "tool_call" and s.status == "simulated"
    ]
    assert {s.name for s in simulated} == {"submit_refund"}

    # 2. Promotion needs an eval against the frozen gates and 30 days of shadow.
    assert set(unmet(promotion)) == {"eval", "time_at_stage"}
    project = EvalProject.load(EXAMPLE)
    [report] = await run_project(
        project, EvalRunner(EvalStore(db)), suite="golden", capability="submit_refund"
    )
    assert report.passed, report.unmet
    assert set(unmet(promotion)) == {"time_at_stage"}
    age(db, "submit_refund", 31)
    _, state = promotion.promote("submit_refund", actor="product-owner")
    assert state is not None
    assert stage() is Stage.ASSIST

    # 3. Assist: recommendations reach reviewers; refunds are still simulated.
    before = len(orders.recommendations())
    results = await handle(engine, reviewer, APPROVE[20:25])
    assert len(orders.recommendations()) == before + 5
    assert orders.refunds() == []

    # 4. Approval required: every refund waits for the reviewer, then runs exactly once.
    age(db, "submit_refund", 31)
    assert promotion.promote("submit_refund", actor="product-owner")[1] is not None
    results = await handle(engine, reviewer, APPROVE[25:27] + APPROVE[28:34])
    submitted = [r for r in results if r.output["action"].startswith("refund submitted")]
    assert len(orders.refunds()) == len(submitted) == reviewer.approved >= 7

    # 5. Up to expanded, then refused at conditional_auto until 20 decisions exist.
    for _ in ("limited", "expanded"):
        age(db, "submit_refund", 31)
        assert promotion.promote("submit_refund", actor="product-owner")[1] is not None
    age(db, "submit_refund", 31)
    _, moved = promotion.promote("submit_refund", actor="product-owner")
    assert moved is None
    assert "fewer than 20" in unmet(promotion)["approval_history"]
    await handle(engine, reviewer, APPROVE[34:50])
    _, moved = promotion.promote("submit_refund", actor="product-owner")
    assert moved is not None
    assert stage() is Stage.CONDITIONAL_AUTO

    # 6. Conditional auto: small exact refunds run unattended, the rest wait for a human.
    approved_before = reviewer.approved
    results = await handle(engine, reviewer, APPROVE[50:65])
    rule = {r.run_id: _submit_rule(r) for r in results}
    auto = [r for r in results if rule[r.run_id] == "auto-small-refunds"]
    waited = [r for r in results if rule[r.run_id] not in (None, "auto-small-refunds")]
    assert auto
    assert all(r.output["amount"] <= 25 for r in auto)
    assert all(r.output["action"].startswith("refund submitted") for r in auto + waited)
    assert reviewer.approved - approved_before == len(waited)

    # 7. A bad release recommends refunds the policy declines; the reviewer rejects them.
    real = flow.recommend

    def unsafe(**kw: Any) -> Any:
        rec = real(**kw)
        return replace(rec, decision="approve") if rec.decision == "decline" else rec

    monkeypatch.setattr(flow, "recommend", unsafe)
    unsafe_runs = await handle(engine, reviewer, DECLINE)
    unattended = [r for r in unsafe_runs if _submit_rule(r) == "auto-small-refunds"]
    assert unattended == []  # the exact-match rule checks the window: none runs alone
    assert reviewer.rejected >= 30
    engine.spans.flush()
    # The minute schedule's next tick, now (it may have ticked by itself already).
    await durable.trigger(durable.ROLLOUT_MONITOR_NAME)
    assert stage() is Stage.APPROVAL_REQUIRED
    assert engine.rollout.store.state("submit_refund").tripped == "approval-rate"
    assert [a.capability for a in alerts.sent] == ["submit_refund"]
    entry = AuditLog(db).list(action="rollout.demote")[0]
    assert (entry.actor, entry.before, entry.after) == (
        "earned:monitor",
        "conditional_auto",
        "approval_required",
    )
    assert "approval-rate tripped" in (entry.reason or "")

    # Fallen back: a small exact refund that conditional_auto ran alone now waits.
    monkeypatch.setattr(flow, "recommend", real)
    small = APPROVE[27]  # $19, section 3.1, inside the window: kept back until now
    started = await engine.start("refund_agent", small["input"], principal=SUPPORT)
    record = await engine.settle(started.run_id)
    assert record.status == "waiting_approval"
    await engine.cancel(started.run_id)
    history = [e.action for e in reversed(AuditLog(db).list(target="submit_refund", limit=50))]
    assert history == ["rollout.stage", *["rollout.promote"] * 5, "rollout.demote"]
