"""The review queue: approvals, drafts and audit samples in one list, worked in a fixed order."""

from __future__ import annotations

import pytest

from earned.approvals import Approvals
from earned.review import AuditSampler, ItemNotFound, ReviewQueue, ReviewRefused
from earned.store import Database
from tests.review.seed import HOUR, NOW, Clock, seed_approval, seed_run


def queue(db: Database, clock: Clock | None = None) -> ReviewQueue:
    clock = clock or Clock()
    return ReviewQueue(db, approvals=Approvals(db, clock=clock), clock=clock)


def test_pending_approvals_and_assist_drafts_share_one_queue(db: Database) -> None:
    seed_approval(db, "r_refund")
    seed_run(db, "r_draft", stage="assist", output={"reply": "We refunded you."})
    seed_run(db, "r_auto", stage="conditional_auto")  # not a draft: it was not at assist
    seed_run(db, "r_failed", stage="assist", status="failed")  # no completed output
    items = queue(db).list()
    assert [(i.kind, i.run_id) for i in items] == [("approval", "r_refund"), ("draft", "r_draft")]
    draft = items[1]
    assert draft.item_id == "drf_r_draft"
    assert draft.context["output"] == {"reply": "We refunded you."}
    assert draft.trace == "/v1/traces/r_draft"


def test_collecting_drafts_is_idempotent(db: Database) -> None:
    seed_run(db, "r_draft", stage="assist")
    review = queue(db)
    assert review.collect() == 1
    assert review.collect() == 0
    assert len(review.list()) == 1


def test_an_approval_item_carries_everything_a_reviewer_needs(db: Database) -> None:
    seed_approval(db, "r_refund", tenant="acme")
    item = queue(db).get("apr_r_refund")
    context = item.context
    assert context["action"] == "submit_refund(order_id='ord_1', amount=40.0)"
    assert context["arguments"] == {"order_id": "ord_1", "amount": 40.0}
    assert context["targets"] == {"order_id": "ord_1"}
    assert context["reason"] == "the item arrived damaged (policy 3.2)"
    assert (context["rule_id"], context["rule_reason"]) == (
        "refunds-with-approval",
        "refunds over $25 need a reviewer",
    )
    assert context["tried"] == [{"tool": "get_order", "status": "ok"}]
    assert context["gathered"][0]["tool"] == "get_order"
    assert (item.capability, item.stage, item.risk) == (
        "submit_refund",
        "approval_required",
        "irreversible",
    )
    assert context["input"] == {"ticket": "ticket of r_refund"}
    assert context["run_status"] == "waiting_approval"
    assert item.trace == "/v1/traces/r_refund"


def test_order_is_overdue_first_then_risk_then_age(db: Database) -> None:
    clock = Clock()
    seed_run(db, "r_old_draft", stage="assist", created_at=NOW - 3 * HOUR)  # overdue
    seed_run(db, "r_new_draft", stage="assist", created_at=NOW - 10)
    seed_approval(db, "r_read", risk="read", tool="get_order", created_at=NOW - 30)
    seed_approval(db, "r_write", risk="external_write", tool="send_email", created_at=NOW - 20)
    seed_approval(db, "r_money", risk="irreversible", created_at=NOW - 10)
    seed_approval(db, "r_money_early", risk="irreversible", created_at=NOW - 40)
    seed_approval(db, "r_expiring", risk="read", tool="get_order", created_at=NOW - 50,
                  expires_in=60)  # fmt: skip
    # drafts are collected with their run's end time as their age
    order = [i.run_id for i in queue(db, clock).list()]
    assert order == [
        "r_old_draft",  # waiting 3 h > the 1 h overdue limit
        "r_expiring",  # expires within 10 minutes
        "r_money_early",
        "r_money",
        "r_write",
        "r_new_draft",  # a draft ranks with internal writes
        "r_read",
    ]


def test_audit_samples_rank_below_pending_decisions(db: Database) -> None:
    clock = Clock(NOW + 7 * 24 * HOUR)
    seed_run(db, "r_auto", stage="autonomous", created_at=NOW)
    seed_run(db, "r_bad", stage="autonomous", status="failed", created_at=NOW)
    AuditSampler(db, clock=clock).sample(size=5, seed=1)  # the week of NOW
    seed_approval(db, "r_refund", created_at=clock.now - 10)
    items = queue(db, clock).list()
    assert [(i.kind, i.risk) for i in items] == [
        ("approval", "irreversible"),
        ("audit", "flagged"),
        ("audit", "audit"),
    ]
    assert items[1].context["flags"] == ["failed"]


def test_a_tenant_sees_only_its_own_items(db: Database) -> None:
    seed_approval(db, "r_acme", tenant="acme")
    seed_approval(db, "r_globex", tenant="globex")
    seed_run(db, "d_globex", stage="assist", tenant="globex")
    review = queue(db)
    assert [i.run_id for i in review.list(tenant="acme")] == ["r_acme"]
    assert {i.run_id for i in review.list()} == {"r_acme", "r_globex", "d_globex"}
    with pytest.raises(ItemNotFound):
        review.get("apr_r_globex", tenant="acme")
    with pytest.raises(ItemNotFound):
        review.get("drf_d_globex", tenant="acme")
    with pytest.raises(ItemNotFound):
        review.get("drf_nothing")


def test_kinds_filter_the_queue(db: Database) -> None:
    seed_approval(db, "r_refund")
    seed_run(db, "r_draft", stage="assist")
    review = queue(db)
    assert [i.kind for i in review.list(kinds=["draft"])] == ["draft"]
    assert [i.kind for i in review.list(kinds=["approval"])] == ["approval"]


def test_an_application_can_offer_any_completed_runs_output_as_a_draft(db: Database) -> None:
    seed_run(db, "r_done", stage="limited", output={"reply": "original"})
    seed_run(db, "r_running", status="running")
    review = queue(db)
    item = review.offer_draft("r_done", output={"reply": "mail me at ana@example.com"})
    assert item.kind == "draft"
    assert item.context["output"] == {"reply": "mail me at <EMAIL_1>"}  # redacted when stored
    assert review.offer_draft("r_done").item_id == item.item_id  # idempotent
    with pytest.raises(ReviewRefused) as refused:
        review.offer_draft("r_running")
    assert refused.value.details["check"] == "kind"
    with pytest.raises(ItemNotFound):
        review.offer_draft("r_unknown")
