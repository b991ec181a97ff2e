"""Deciding items: approve, approve with edits, reject; reason codes, notes, routes, integrity."""

from __future__ import annotations

from typing import Any

import pytest

from earned.approvals import ApprovalRefused, Approvals
from earned.review import ROUTES, AuditSampler, ReviewQueue, ReviewRefused
from earned.store import Database
from tests.review.seed import HOUR, NOW, Clock, seed_approval, seed_run


class Notices:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def notify(self, run_id: str, approval_id: str) -> None:
        self.sent.append((run_id, approval_id))


def queue(db: Database, clock: Clock | None = None, notices: Notices | None = None) -> ReviewQueue:
    clock = clock or Clock()
    return ReviewQueue(db, approvals=Approvals(db, clock=clock, notifier=notices), clock=clock)


def decide(review: ReviewQueue, item_id: str, **kwargs: Any) -> Any:
    return review.decide(item_id, reviewer="bob", role="reviewer", tenant="acme", **kwargs)


def test_an_unedited_approval_of_a_draft_is_a_positive_example(db: Database) -> None:
    seed_run(db, "r1", stage="assist", output={"reply": "Refund sent."})
    review = queue(db)
    decision = decide(review, "drf_r1", action="approve")
    assert (decision.decision, decision.reason_code, decision.datasets) == (
        "approve",
        None,
        ["positive"],
    )
    assert decision.original == {"reply": "Refund sent."}
    assert decision.final == {"reply": "Refund sent."}
    assert decision.input == {"ticket": "ticket of r1"}
    assert review.list() == []  # decided items leave the queue
    assert review.get("drf_r1").status == "approved"


def test_an_edit_stores_original_edit_reason_and_decision_and_routes_by_reason(
    db: Database,
) -> None:
    review = queue(db)
    edited = {"reply": "Hi Ana, we refunded your order."}
    for reason, datasets in ROUTES.items():
        seed_run(db, reason, stage="assist", output={"reply": "Dear Sir, refund denied."})
        decide(review, f"drf_{reason}", action="approve_edited", edited=edited,
               reason_code=reason, note="friendlier, and policy 3.2 allows it")  # fmt: skip
        [stored] = review.history(f"drf_{reason}")
        assert stored.original == {"reply": "Dear Sir, refund denied."}
        assert stored.edited == edited
        assert stored.final == edited
        assert (stored.decision, stored.reason_code, stored.note) == (
            "approve_edited",
            reason,
            "friendlier, and policy 3.2 allows it",
        )
        assert stored.datasets == list(datasets)
        assert review.get(f"drf_{reason}").status == "edited"


def test_the_routes_are_seed_000s() -> None:
    assert ROUTES == {
        "hallucination": ("adversarial", "regression"),
        "unsafe_action": ("adversarial", "regression"),
        "wrong_policy": ("regression", "policy_gaps"),
        "missing_data": ("retrieval_gaps",),
        "bad_tone": ("prompt_feedback",),
        "unclear_reasoning": ("prompt_feedback",),
    }


INCOMPLETE: list[tuple[dict[str, Any], str]] = [
    ({"action": "reject", "note": "wrong"}, "reason_code"),
    ({"action": "reject", "reason_code": "hallucination"}, "note"),
    ({"action": "reject", "reason_code": "hallucination", "note": "  "}, "note"),
    ({"action": "approve_edited", "reason_code": "bad_tone", "note": "x"}, "edit"),
    ({"action": "approve_edited", "edited": {"reply": "x"}, "note": "x"}, "reason_code"),
    ({"action": "escalate"}, "kind"),
]


def test_edits_and_rejections_need_a_reason_code_and_a_note(db: Database) -> None:
    seed_run(db, "r1", stage="assist")
    review = queue(db)
    for kwargs, check in INCOMPLETE:
        with pytest.raises(ReviewRefused) as refused:
            decide(review, "drf_r1", **kwargs)
        assert refused.value.details["check"] == check, kwargs
    assert review.history("drf_r1") == []
    assert review.get("drf_r1").status == "pending"


def test_an_unknown_reason_code_names_the_six(db: Database) -> None:
    seed_run(db, "r1", stage="assist")
    with pytest.raises(Exception, match="wrong_policy, missing_data, bad_tone"):
        decide(queue(db), "drf_r1", action="reject", reason_code="typo", note="x")


def test_an_edit_that_changes_nothing_is_refused(db: Database) -> None:
    seed_run(db, "r1", stage="assist", output={"reply": "same"})
    with pytest.raises(ReviewRefused) as refused:
        decide(queue(db), "drf_r1", action="approve_edited", edited={"reply": "same"},
               reason_code="bad_tone", note="x")  # fmt: skip
    assert refused.value.details["check"] == "edit"


def test_an_item_is_decided_once(db: Database) -> None:
    seed_run(db, "r1", stage="assist")
    review = queue(db)
    decide(review, "drf_r1", action="reject", reason_code="hallucination", note="made up")
    with pytest.raises(ReviewRefused) as refused:
        decide(review, "drf_r1", action="approve")
    assert refused.value.details["check"] == "not_pending"
    assert len(review.history("drf_r1")) == 1


def test_nobody_reviews_a_run_that_acted_for_them(db: Database) -> None:
    seed_run(db, "r1", stage="assist", user="bob")
    with pytest.raises(ReviewRefused) as refused:
        decide(queue(db), "drf_r1", action="approve")
    assert refused.value.details["check"] == "self_approval"


def test_approving_an_approval_with_edits_decides_it_and_records_the_call(db: Database) -> None:
    seed_approval(db, "r1")
    notices = Notices()
    review = queue(db, notices=notices)
    decision = decide(review, "apr_r1", action="approve_edited",
                      edited={"order_id": "ord_1", "amount": 20.0},
                      reason_code="unsafe_action", note="only one item was damaged")  # fmt: skip
    approval = review.approvals.get("apr_r1")
    assert (approval.status, approval.decision, approval.edited_arguments) == (
        "approved",
        "approve_edited",
        {"order_id": "ord_1", "amount": 20.0},
    )
    assert approval.decision_reason == "unsafe_action: only one item was damaged"
    assert notices.sent == [("r1", "apr_r1")]
    assert decision.original == {
        "tool": "submit_refund",
        "arguments": {"order_id": "ord_1", "amount": 40.0},
    }
    assert decision.final == {
        "tool": "submit_refund",
        "arguments": {"order_id": "ord_1", "amount": 20.0},
    }
    assert decision.datasets == ["adversarial", "regression"]
    assert review.list() == []


def test_rejecting_an_approval_passes_the_reason_to_the_run(db: Database) -> None:
    seed_approval(db, "r1")
    review = queue(db)
    decide(review, "apr_r1", action="reject", reason_code="wrong_policy", note="section 4.1")
    approval = review.approvals.get("apr_r1")
    assert (approval.status, approval.decision_reason) == ("rejected", "wrong_policy: section 4.1")
    assert review.history("apr_r1")[0].final is None


def test_approval_integrity_checks_still_apply(db: Database) -> None:
    seed_approval(db, "r1", approvers=["reviewer"])
    review = queue(db)
    with pytest.raises(ApprovalRefused) as refused:
        review.decide("apr_r1", action="approve", reviewer="olga", role="owner", tenant="acme")
    assert refused.value.details["check"] == "role"
    with pytest.raises(ApprovalRefused) as refused:
        review.decide("apr_r1", action="approve", reviewer="customer-1", role="reviewer")
    assert refused.value.details["check"] == "self_approval"
    with pytest.raises(ApprovalRefused) as refused:
        review.decide("apr_r1", action="approve", reviewer="bob", role="reviewer",
                      expected_digest="sha256:stale")  # fmt: skip
    assert refused.value.details["check"] == "digest"
    assert review.history("apr_r1") == []
    assert review.approvals.get("apr_r1").status == "pending"


def test_audit_samples_take_a_rubric_score_not_a_decision(db: Database) -> None:
    clock = Clock(NOW + 7 * 24 * HOUR)
    seed_run(db, "r1", stage="autonomous", created_at=NOW)
    AuditSampler(db, clock=clock).sample(size=1, seed=3)
    review = queue(db, clock)
    with pytest.raises(ReviewRefused) as refused:
        decide(review, "aud_r1", action="approve")
    assert refused.value.details["check"] == "kind"
    good = {"correct": 5, "grounded": 4, "policy": 4, "safe": 5, "tone": 3}
    scored = decide_score(review, "aud_r1", good)
    assert (scored.passed, scored.datasets, scored.rubric) == (
        True,
        ["positive"],
        review.rubric.version,
    )
    assert scored.scores == good
    assert review.get("aud_r1").status == "scored"


def decide_score(review: ReviewQueue, item_id: str, scores: dict[str, int], **kw: Any) -> Any:
    return review.score(item_id, scores=scores, reviewer="bob", role="reviewer", **kw)


def test_a_failing_audit_needs_a_reason_and_is_routed_by_it(db: Database) -> None:
    clock = Clock(NOW + 7 * 24 * HOUR)
    seed_run(db, "r1", stage="autonomous", created_at=NOW)
    AuditSampler(db, clock=clock).sample(size=1, seed=3)
    review = queue(db, clock)
    bad = {"correct": 2, "grounded": 1, "policy": 4, "safe": 4, "tone": 4}
    with pytest.raises(ReviewRefused) as refused:
        decide_score(review, "aud_r1", bad)
    assert refused.value.details["check"] == "reason_code"
    scored = decide_score(review, "aud_r1", bad, reason_code="hallucination", note="no such order")
    assert (scored.passed, scored.datasets) == (False, ["adversarial", "regression"])


def test_a_score_must_cover_the_rubric(db: Database) -> None:
    clock = Clock(NOW + 7 * 24 * HOUR)
    seed_run(db, "r1", stage="autonomous", created_at=NOW)
    AuditSampler(db, clock=clock).sample(size=1, seed=3)
    with pytest.raises(Exception, match=r"missing \['tone'\].*out of range \{'safe': 9\}"):
        decide_score(
            queue(db, clock), "aud_r1", {"correct": 5, "grounded": 5, "policy": 5, "safe": 9}
        )


def test_pii_in_notes_and_edits_is_redacted_before_it_is_stored(db: Database) -> None:
    seed_run(db, "r1", stage="assist")
    review = queue(db)
    decide(review, "drf_r1", action="approve_edited",
           edited={"reply": "Call me on +1 415 555 0100, ana@example.com"},
           reason_code="missing_data", note="customer is ana@example.com")  # fmt: skip
    [stored] = review.history("drf_r1")
    assert "ana@example.com" not in repr(stored)
    assert stored.note == "customer is <EMAIL_1>"
