"""Drafts are runs that acted at `assist`: the capability's live stage, capped by the run's own.

Runs under a matrix record no stage of their own (the live stage applies), so the queue asks
the RolloutStore which stage each capability is at and since when, and caps it with the
run's stage as the enforcement point does. Runs that started before the capability reached
its live stage, or of a capability without one, are judged by their own recorded stage.
"""

from __future__ import annotations

from typing import Any

import pytest

from earned.approvals import Approvals
from earned.review import ReviewQueue
from earned.rollout import CapabilityMatrix, CapabilitySpec, RolloutStore
from earned.runtime import Engine
from earned.stages import Stage
from earned.store import Database
from tests.review.seed import HOUR, NOW, Clock, seed_run
from tests.rollout import agents


def _matrix(stage: Stage) -> CapabilityMatrix:
    spec = CapabilitySpec(
        name="draft_reply",
        owner="support",
        stage=stage,
        required_eval="gates.yaml",
        rollback="stop drafting",
        tools=("reply",),
    )
    return CapabilityMatrix([spec], name="support")


def _drafts(db: Database, clock: Clock) -> dict[str, str | None]:
    review = ReviewQueue(db, approvals=Approvals(db, clock=clock), clock=clock)
    return {i.run_id: i.stage for i in review.list(kinds=["draft"])}


def test_a_run_with_no_stage_of_its_own_is_a_draft_when_its_capability_is_at_assist(
    db: Database,
) -> None:
    clock = Clock(NOW - 2 * HOUR)
    RolloutStore(db, clock=clock).ensure(_matrix(Stage.ASSIST))
    clock.now = NOW
    seed_run(db, "r_live")  # stage None: what a run under the matrix records
    seed_run(db, "r_shadow", stage="shadow")  # asked for less than assist: not a draft
    seed_run(db, "r_more", stage="autonomous")  # asked for more: capped at assist
    seed_run(db, "r_other", capability="billing")  # no live stage, none of its own
    seed_run(db, "r_loose", capability=None, stage="assist")  # no capability: its own stage
    assert _drafts(db, clock) == {"r_live": "assist", "r_more": "assist", "r_loose": "assist"}


def test_a_run_that_asked_for_assist_is_a_draft_under_a_more_autonomous_capability(
    db: Database,
) -> None:
    clock = Clock(NOW - 2 * HOUR)
    RolloutStore(db, clock=clock).ensure(_matrix(Stage.AUTONOMOUS))
    clock.now = NOW
    seed_run(db, "r_asked", stage="assist")
    seed_run(db, "r_auto")
    assert _drafts(db, clock) == {"r_asked": "assist"}


def test_a_demotion_to_assist_makes_drafts_of_later_runs_only(db: Database) -> None:
    clock = Clock(NOW - 3 * HOUR)
    rollout = RolloutStore(db, clock=clock)
    rollout.ensure(_matrix(Stage.AUTONOMOUS))
    seed_run(db, "r_acted", created_at=NOW - 2 * HOUR)  # acted at autonomous
    clock.now = NOW - 90 * 60
    rollout.set_stage(
        "draft_reply",
        Stage.ASSIST,
        actor="earned",
        reason="stop condition",
        action="rollout.demote",
    )
    seed_run(db, "r_after", created_at=NOW - HOUR)
    clock.now = NOW
    assert _drafts(db, clock) == {"r_after": "assist"}


@pytest.mark.slow
async def test_runs_of_a_real_engine_become_drafts_once_a_stop_condition_demotes_to_assist(
    database_url: str,
) -> None:
    ticket: dict[str, Any] = {"order_id": "o1", "amount": 10.0}
    agents.CALLS.clear()
    matrix = agents.matrix(Stage.AUTONOMOUS)
    async with Engine([agents.AGENT], database_url=database_url, matrix=matrix) as engine:
        assert engine.db is not None
        acted = await engine.run(agents.AGENT, ticket)
        assert acted.stage is None  # the run records no stage: the live one applied
        assert agents.CALLS.count("pay") == 1
        RolloutStore(engine.db).set_stage(
            "payments",
            Stage.ASSIST,
            actor="earned",
            reason="stop condition",
            action="rollout.demote",
        )
        drafted = await engine.run(agents.AGENT, ticket)
        assert drafted.status == "completed"
        assert agents.CALLS.count("pay") == 1  # simulated at assist
        queue = ReviewQueue(engine.db)
        drafts = {i.run_id: i.stage for i in queue.list(kinds=["draft"])}
    assert drafts == {drafted.run_id: "assist"}
