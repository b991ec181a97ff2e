"""Reviewer fatigue: approval rate near 100% and decisions getting faster are flagged."""

from __future__ import annotations

from earned.approvals import ApprovalStore
from earned.review import ReviewQueue, reviewer_fatigue
from earned.store import Database
from tests.review.seed import NOW, Clock, seed_approval, seed_run

DAY = 86_400.0


def decide_drafts(
    db: Database, reviewer: str, start: float, count: int, gap: float, reject_every: int = 0
) -> None:
    """`count` drafts, decided `gap` seconds apart starting at `start`."""
    clock = Clock(start)
    review = ReviewQueue(db, clock=clock)
    for i in range(count):
        run_id = f"{reviewer}_{int(start)}_{i}"
        seed_run(db, run_id, stage="assist", created_at=start - 60)
        clock.now = start + i * gap
        if reject_every and i % reject_every == 0:
            review.decide(f"drf_{run_id}", action="reject", reason_code="bad_tone",
                          note="too cold", reviewer=reviewer, role="reviewer")  # fmt: skip
        else:
            review.decide(f"drf_{run_id}", action="approve", reviewer=reviewer, role="reviewer")


def test_approving_everything_ever_faster_is_rubber_stamping(db: Database) -> None:
    decide_drafts(db, "rita", NOW - 10 * DAY, 25, gap=90)  # the week before: 90 s each
    decide_drafts(db, "rita", NOW - 3 * DAY, 25, gap=8)  # this week: 8 s each
    report = reviewer_fatigue(db, window="7d", clock=Clock(NOW))
    [rita] = report.reviewers
    assert (rita.decisions, rita.approval_rate, rita.previous_decisions) == (25, 1.0, 25)
    assert (rita.median_seconds, rita.previous_median_seconds) == (8, 90)
    assert rita.flags == ["approval_rate_near_100", "time_to_decision_falling", "rubber_stamping"]
    assert [r.reviewer for r in report.flagged] == ["rita"]


def test_a_reviewer_who_rejects_and_keeps_pace_is_not_flagged(db: Database) -> None:
    decide_drafts(db, "ravi", NOW - 10 * DAY, 25, gap=60, reject_every=5)
    decide_drafts(db, "ravi", NOW - 3 * DAY, 25, gap=55, reject_every=5)
    [ravi] = reviewer_fatigue(db, window="7d", clock=Clock(NOW)).reviewers
    assert ravi.approval_rate == 0.8
    assert ravi.flags == []


def test_too_few_decisions_flag_nothing(db: Database) -> None:
    decide_drafts(db, "rosa", NOW - 3 * DAY, 5, gap=5)
    [rosa] = reviewer_fatigue(db, window="7d", clock=Clock(NOW)).reviewers
    assert (rosa.decisions, rosa.approval_rate, rosa.flags) == (5, 1.0, [])


def test_breaks_do_not_count_as_time_spent_deciding(db: Database) -> None:
    decide_drafts(db, "remy", NOW - 3 * DAY, 4, gap=4 * 3600)  # hours apart: breaks
    [remy] = reviewer_fatigue(db, window="7d", clock=Clock(NOW)).reviewers
    assert remy.median_seconds is None


def test_approvals_decided_anywhere_count(db: Database) -> None:
    seed_approval(db, "r1", created_at=NOW - DAY)
    ApprovalStore(db).transition(
        "apr_r1", allowed_from={"pending"}, to="approved", event="decided",
        values={"decision": "approve", "decided_by": "cli-user", "decided_at": NOW - DAY + 30},
    )  # fmt: skip
    [load] = reviewer_fatigue(db, window="7d", clock=Clock(NOW)).reviewers
    assert (load.reviewer, load.decisions, load.median_wait_seconds) == ("cli-user", 1, 30)
    assert reviewer_fatigue(db, window="7d", tenant="globex", clock=Clock(NOW)).reviewers == []
