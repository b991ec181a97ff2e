"""Promotion moves up only on evidence and explains every unmet gate; rollback is one call."""

from __future__ import annotations

from pathlib import Path

import pytest

from earned.errors import UserError
from earned.rollout import ApprovalHistoryGate, Promotion, RolloutStore
from earned.stages import Stage
from earned.store import AuditLog, Database
from tests.rollout import agents
from tests.rollout.conftest import Clock
from tests.rollout.evidence import decisions, eval_run, write_gates

DAY = 86_400.0


def promotion(
    db: Database, clock: Clock, tmp_path: Path, stage: Stage, **changes: object
) -> Promotion:
    matrix = agents.matrix(stage, base=tmp_path, **changes)
    return Promotion(db, matrix, RolloutStore(db, clock=clock), clock=clock)


def gates(check: object) -> dict[str, bool]:
    return {g.gate: g.passed for g in check.gates}  # type: ignore[attr-defined]


def test_without_a_passing_eval_nothing_moves_and_the_command_says_why(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    write_gates(tmp_path)
    promo = promotion(db, clock, tmp_path, Stage.SHADOW)
    check, state = promo.promote("payments", actor="po")
    assert state is None
    assert (check.current, check.target) == (Stage.SHADOW, Stage.ASSIST)
    assert gates(check) == {
        "matrix": True,
        "eval": False,
        "stop_conditions": True,
        "time_at_stage": True,
        "enabled": True,
    }
    assert "no completed eval against manifest" in check.unmet[0].detail
    assert promo.store.state("payments").stage is Stage.SHADOW  # type: ignore[union-attr]


def test_a_failed_or_stale_eval_does_not_count(db: Database, clock: Clock, tmp_path: Path) -> None:
    path = write_gates(tmp_path)
    promo = promotion(db, clock, tmp_path, Stage.SHADOW)
    eval_run(db, path, verdict="failed", at=clock.now - 60)
    assert "suite golden failed its gates" in promo.check("payments").unmet[0].detail
    eval_run(db, path, verdict="passed", at=clock.now - 40 * DAY)
    eval_run(db, path, verdict="passed", at=clock.now - 35 * DAY, suite="regression")
    assert "older than 30 days" in promo.check("payments").unmet[0].detail


def test_an_eval_against_gates_edited_since_is_not_evidence(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    path = write_gates(tmp_path)
    eval_run(db, path, verdict="passed", at=clock.now - 60)
    path.write_text(path.read_text().replace("98%", "90%"))  # gates loosened after the run
    promo = promotion(db, clock, tmp_path, Stage.SHADOW)
    assert gates(promo.check("payments"))["eval"] is False


def test_promotion_records_who_when_the_evidence_and_the_manifest_hash(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    path = write_gates(tmp_path)
    run = eval_run(db, path, verdict="passed", at=clock.now - 60)
    promo = promotion(db, clock, tmp_path, Stage.SHADOW)
    check, state = promo.promote("payments", actor="alice", reason="shadow looked good")
    assert state is not None
    assert (state.stage, state.updated_by) == (Stage.ASSIST, "alice")
    entry = AuditLog(db).list(action="rollout.promote")[0]
    assert (entry.actor, entry.target, entry.before, entry.after) == (
        "alice",
        "payments",
        "shadow",
        "assist",
    )
    assert entry.reason == "shadow looked good"
    assert entry.details is not None
    eval_gate = next(g for g in entry.details["evidence"]["gates"] if g["gate"] == "eval")
    assert eval_gate["evidence"]["runs"]["golden"]["eval_run_id"] == run
    assert entry.details["manifest_hash"] == check.gates[1].evidence["manifest_hash"]


def test_time_at_the_stage_is_a_gate(db: Database, clock: Clock, tmp_path: Path) -> None:
    path = write_gates(tmp_path)
    eval_run(db, path, verdict="passed", at=clock.now)
    promo = promotion(db, clock, tmp_path, Stage.SHADOW, min_days_at_stage=30)
    assert (
        "0.0 days at shadow, fewer than the 30 required" in promo.check("payments").unmet[0].detail
    )
    clock.advance(31 * DAY)
    eval_run(db, path, verdict="passed", at=clock.now)
    assert promo.check("payments").allowed


def test_auto_approval_needs_seed_001s_approval_history(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    path = write_gates(tmp_path)
    eval_run(db, path, verdict="passed", at=clock.now)
    promo = promotion(db, clock, tmp_path, Stage.EXPANDED)

    decisions(db, "payments", approve=60, at=clock.now - DAY)
    unmet = promo.check("payments").unmet
    assert [g.gate for g in unmet] == ["approval_history"]
    assert unmet[0].detail == "60 decisions, fewer than 100"

    decisions(db, "payments", approve=40, reject=1, at=clock.now - 2 * DAY)
    detail = promo.check("payments").unmet[0].detail
    assert "a rejection 2.0 days ago, within 30 days" in detail

    clock.advance(29 * DAY)  # the rejection is 31 days old, and so are most approvals
    eval_run(db, path, verdict="passed", at=clock.now)
    assert "fewer than 100" in promo.check("payments").unmet[0].detail
    decisions(db, "payments", approve=100, at=clock.now - 60)
    check, state = promo.promote("payments", actor="po")
    assert state is not None
    assert state.stage is Stage.CONDITIONAL_AUTO
    history = next(g for g in check.gates if g.gate == "approval_history")
    assert history.evidence["decisions"] >= 100
    assert history.evidence["rate"] >= 0.97


def test_the_approval_thresholds_are_per_capability(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    path = write_gates(tmp_path)
    eval_run(db, path, verdict="passed", at=clock.now)
    strict = ApprovalHistoryGate(min_decisions=10, min_rate=0.9, no_rejection_days=0)
    promo = promotion(db, clock, tmp_path, Stage.EXPANDED, approval_history=strict)
    decisions(db, "payments", approve=9, reject=1, at=clock.now - 60)
    assert promo.check("payments").allowed


def test_a_killed_capability_is_not_promoted(db: Database, clock: Clock, tmp_path: Path) -> None:
    path = write_gates(tmp_path)
    eval_run(db, path, verdict="passed", at=clock.now)
    promo = promotion(db, clock, tmp_path, Stage.SHADOW)
    promo.store.ensure(promo.matrix)
    promo.store.set_flag("payments", "enabled", False, actor="oncall", reason="incident")
    assert [g.gate for g in promo.check("payments").unmet] == ["enabled"]


def test_no_eval_or_no_rollback_keeps_a_capability_in_shadow(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    promo = promotion(db, clock, tmp_path, Stage.SHADOW, rollback=None)
    unmet = promo.check("payments").unmet
    assert unmet[0].gate == "matrix"
    assert "no rollback declared" in unmet[0].detail


def test_rollback_goes_to_the_fallback_stage_in_one_call(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    promo = promotion(db, clock, tmp_path, Stage.CONDITIONAL_AUTO)
    state = promo.rollback("payments", actor="oncall", reason="refund spike")
    assert (state.stage, state.previous_stage) == (Stage.APPROVAL_REQUIRED, Stage.CONDITIONAL_AUTO)
    entry = AuditLog(db).list(action="rollout.rollback")[0]
    assert (entry.actor, entry.before, entry.after, entry.reason) == (
        "oncall",
        "conditional_auto",
        "approval_required",
        "refund spike",
    )
    with pytest.raises(UserError, match="rollback goes down"):
        promo.rollback("payments", actor="oncall", to=Stage.AUTONOMOUS)
    with pytest.raises(UserError, match="promotion goes up"):
        promo.check("payments", to=Stage.SHADOW)
    with pytest.raises(UserError, match="no capability 'paymnts'"):
        promo.check("paymnts")
