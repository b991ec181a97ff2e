"""Weekly audit samples: random autonomous runs plus every flagged run, reproducibly."""

from __future__ import annotations

import datetime as dt

import pytest

from earned.errors import UserError
from earned.metrics import FeedbackStore
from earned.review import AuditSampler, ReviewQueue, week_bounds
from earned.rollout import CapabilityMatrix, CapabilitySpec, RolloutStore
from earned.stages import Stage
from earned.store import Database
from tests.review.seed import HOUR, NOW, Clock, seed_run

WEEK = "2027-W02"  # the ISO week of NOW
LATER = Clock(NOW + 7 * 24 * HOUR)


def test_week_bounds_are_monday_to_monday_utc() -> None:
    name, start, end = week_bounds("2027-W02", now=NOW)
    assert name == "2027-W02"
    assert dt.datetime.fromtimestamp(start, dt.UTC) == dt.datetime(2027, 1, 11, tzinfo=dt.UTC)
    assert end - start == 7 * 24 * HOUR
    assert week_bounds(None, now=LATER.now)[0] == WEEK  # the last complete week
    with pytest.raises(UserError, match="cannot read the week '2027-02'") as error:
        week_bounds("2027-02", now=NOW)
    assert "ISO week like 2026-W07" in error.value.details["fix"]
    with pytest.raises(UserError):
        week_bounds("2027-W54", now=NOW)


def test_the_sample_draws_only_completed_autonomous_runs_of_that_week(db: Database) -> None:
    for i in range(12):
        seed_run(db, f"auto{i:02d}", stage="autonomous", created_at=NOW + i)
    seed_run(db, "cond", stage="conditional_auto", created_at=NOW)
    seed_run(db, "assisted", stage="assist", created_at=NOW)  # a human saw it already
    seed_run(db, "last_week", stage="autonomous", created_at=NOW - 7 * 24 * HOUR)
    drawn = AuditSampler(db, clock=LATER).sample(week=WEEK, size=5, seed=42)
    assert (drawn.week, drawn.candidates, len(drawn.sampled), drawn.flagged) == (WEEK, 13, 5, [])
    allowed = {f"aud_auto{i:02d}" for i in range(12)} | {"aud_cond"}
    assert set(drawn.sampled) <= allowed
    again = AuditSampler(db, clock=LATER).sample(week=WEEK, size=5, seed=42)
    assert again.sampled == drawn.sampled  # the same seed draws the same runs


def test_every_flagged_run_joins_the_sample(db: Database) -> None:
    seed_run(db, "ok", stage="autonomous", created_at=NOW)
    seed_run(db, "failed", stage="autonomous", status="failed", created_at=NOW)
    seed_run(db, "escalated", stage="limited", status="escalated", created_at=NOW)
    seed_run(db, "denied", status="denied", created_at=NOW)
    seed_run(db, "tainted", stage="autonomous", tainted=True, created_at=NOW)
    seed_run(db, "disliked", stage="autonomous", created_at=NOW)
    FeedbackStore(db).record_feedback("down", run_id="disliked")
    drawn = AuditSampler(db, clock=LATER).sample(week=WEEK, size=30, seed=1)
    assert drawn.sampled == ["aud_ok"]
    assert sorted(drawn.flagged) == sorted(
        f"aud_{r}" for r in ("failed", "escalated", "denied", "tainted", "disliked")
    )
    items = {i.run_id: i for i in ReviewQueue(db, clock=LATER).list(kinds=["audit"])}
    assert items["tainted"].context["flags"] == ["tainted"]
    assert items["disliked"].context["flags"] == ["negative_feedback"]
    assert items["failed"].risk == "flagged"
    assert items["ok"].risk == "audit"


def test_sampling_a_week_again_adds_new_flags_but_never_redraws(db: Database) -> None:
    for i in range(10):
        seed_run(db, f"auto{i}", stage="autonomous", created_at=NOW + i)
    first = AuditSampler(db, clock=LATER).sample(week=WEEK, size=3)
    seed_run(db, "late_failure", status="failed", created_at=NOW + 100)
    second = AuditSampler(db, clock=LATER).sample(week=WEEK, size=3, seed=999)
    assert second.sampled == first.sampled
    assert second.seed == first.seed
    assert second.added == ["aud_late_failure"]


def test_a_tenant_samples_only_its_own_runs(db: Database) -> None:
    seed_run(db, "a1", stage="autonomous", tenant="acme", created_at=NOW)
    seed_run(db, "g1", stage="autonomous", tenant="globex", created_at=NOW)
    drawn = AuditSampler(db, clock=LATER).sample(week=WEEK, size=10, tenant="acme")
    assert drawn.sampled == ["aud_a1"]


def test_the_sample_size_is_bounded(db: Database) -> None:
    with pytest.raises(UserError, match="between 1 and 1000, got 0") as error:
        AuditSampler(db, clock=LATER).sample(size=0)
    assert "30 to 50" in error.value.details["fix"]


def test_runs_under_a_matrix_are_sampled_by_their_capabilitys_live_stage(db: Database) -> None:
    clock = Clock(NOW - 2 * HOUR)
    matrix = CapabilityMatrix(
        [
            CapabilitySpec(
                name=name,
                owner="support",
                stage=stage,
                required_eval="gates.yaml",
                rollback="back to approvals",
                tools=(f"{name}_tool",),
            )
            for name, stage in (("auto_refund", Stage.AUTONOMOUS), ("drafts", Stage.ASSIST))
        ],
        name="support",
    )
    RolloutStore(db, clock=clock).ensure(matrix)
    # Runs under a matrix record no stage of their own: the live stage is what they ran at.
    seed_run(db, "acted_alone", capability="auto_refund", created_at=NOW)
    seed_run(db, "asked_less", capability="auto_refund", stage="assist", created_at=NOW)
    seed_run(db, "drafted", capability="drafts", created_at=NOW)
    seed_run(db, "old_style", capability=None, stage="autonomous", created_at=NOW)
    drawn = AuditSampler(db, clock=LATER).sample(week=WEEK, size=10, seed=7)
    assert sorted(drawn.sampled) == ["aud_acted_alone", "aud_old_style"]
    assert drawn.candidates == 2
