"""A decision is accepted only when every integrity check passes; a refusal changes nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from earned.approvals import ApprovalRefused, ApprovalRequest, Approvals, arguments_digest
from earned.errors import UserError
from earned.store import Database

ARGS = {"order_id": "ord_7", "amount": 120.0}
SCHEMA = {"type": "object", "properties": {"order_id": {}, "amount": {}},
          "required": ["order_id", "amount"]}  # fmt: skip


class Notices:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def notify(self, run_id: str, approval_id: str) -> None:
        self.sent.append((run_id, approval_id))


@pytest.fixture
def api(database_url: str) -> Iterator[Approvals]:
    db = Database(database_url)
    db.upgrade()
    yield Approvals(db, notifier=Notices())
    db.close()


def ask(api: Approvals, approval_id: str = "apr_1", **overrides: Any) -> ApprovalRequest:
    now = time.time()
    fields: dict[str, Any] = {
        "approval_id": approval_id, "run_id": "run_1", "call_id": "wf_2", "agent": "refunds",
        "tool": "submit_refund", "risk": "irreversible", "arguments": ARGS,
        "arguments_digest": arguments_digest("submit_refund", ARGS),
        "summary": "submit_refund(order_id='ord_7', amount=120.0)", "targets": {"order_id": "ord_7"},
        "reason": "damaged", "rule_id": "tool-default:submit_refund", "rule_reason": "needs approval",
        "policy_version": "p@1", "approvers": ["reviewer"], "requester": "alice", "tenant": "acme",
        "capability": "submit_refund", "stage": "approval_required",
        "context": {"arguments_schema": SCHEMA}, "status": "pending", "on_timeout": "escalate",
        "created_at": now, "expires_at": now + 3600,
    }  # fmt: skip
    fields.update(overrides)
    return api.store.create(ApprovalRequest(**fields))


def refused(api: Approvals, check: str, call: Any) -> ApprovalRefused:
    before = api.get("apr_1")
    with pytest.raises(ApprovalRefused) as err:
        call()
    assert err.value.details["check"] == check
    after = api.get("apr_1")
    assert (after.status, after.decision) == (before.status, before.decision)  # nothing changed
    assert api.history("apr_1")[-1].kind == "refused"
    assert api.history("apr_1")[-1].details["check"] == check
    return err.value


def test_an_approval_binds_the_digest_records_the_approver_and_notifies(api: Approvals) -> None:
    ask(api)
    decided = api.approve("apr_1", actor="bob", role="reviewer", tenant="acme", reason="ok")
    assert (decided.status, decided.decision, decided.decided_by, decided.decided_role) == (
        "approved",
        "approve",
        "bob",
        "reviewer",
    )
    assert decided.approved_digest == decided.arguments_digest
    assert decided.decision_expires_at is not None
    assert api.notifier.sent == [("run_1", "apr_1")]  # type: ignore[union-attr]


def test_only_roles_policy_names_may_decide(api: Approvals) -> None:
    ask(api)
    err = refused(api, "role", lambda: api.approve("apr_1", actor="bob", role="viewer"))
    assert "rule tool-default:submit_refund names reviewer" in err.message


def test_the_requester_can_never_approve_their_own_action(api: Approvals) -> None:
    ask(api)
    refused(api, "self_approval", lambda: api.approve("apr_1", actor="alice", role="reviewer"))


def test_a_decision_for_another_tenant_is_refused(api: Approvals) -> None:
    ask(api)
    refused(api, "tenant", lambda: api.approve("apr_1", actor="bob", role="reviewer",
                                               tenant="globex"))  # fmt: skip


def test_a_decision_on_arguments_that_changed_is_refused(api: Approvals) -> None:
    ask(api)
    refused(api, "digest", lambda: api.approve("apr_1", actor="bob", role="reviewer",
                                               expected_digest="0" * 64))  # fmt: skip
    assert api.approve("apr_1", actor="bob", role="reviewer",
                       expected_digest=api.get("apr_1").arguments_digest).status == "approved"  # fmt: skip


def test_an_approval_is_decided_once(api: Approvals) -> None:
    ask(api)
    api.reject("apr_1", actor="bob", role="reviewer", reason="no")
    err = refused(api, "not_pending", lambda: api.approve("apr_1", actor="carol", role="reviewer"))
    assert "it is rejected" in err.message


def test_an_expired_request_cannot_be_decided(api: Approvals) -> None:
    ask(api, expires_at=time.time() - 1)
    with pytest.raises(ApprovalRefused) as err:
        api.approve("apr_1", actor="bob", role="reviewer")
    assert err.value.details["check"] == "expired"
    assert api.get("apr_1").status == "expired"


def test_edits_need_a_reason_and_the_tools_argument_names(api: Approvals) -> None:
    ask(api)
    refused(
        api,
        "edit_reason",
        lambda: api.approve(
            "apr_1", actor="bob", role="reviewer", arguments={"order_id": "ord_7", "amount": 50}
        ),
    )
    err = refused(
        api,
        "arguments",
        lambda: api.approve(
            "apr_1", actor="bob", role="reviewer", arguments={"order": "ord_7"}, reason="typo"
        ),
    )
    assert "unknown ['order']" in err.message
    assert "missing ['amount', 'order_id']" in err.message
    edited = api.approve("apr_1", actor="bob", role="reviewer",
                         arguments={"order_id": "ord_7", "amount": 50}, reason="partial")  # fmt: skip
    assert edited.decision == "approve_edited"
    assert edited.approved_digest == arguments_digest(
        "submit_refund", {"order_id": "ord_7", "amount": 50}
    )


def test_a_rejection_needs_a_reason(api: Approvals) -> None:
    ask(api)
    with pytest.raises(UserError, match="needs a reason"):
        api.reject("apr_1", actor="bob", role="reviewer", reason=" ")


def test_unknown_ids_say_how_to_find_real_ones(api: Approvals) -> None:
    with pytest.raises(UserError, match="earned approvals list"):
        api.approve("apr_nope", actor="bob", role="reviewer")


def test_stats_count_decisions_rate_and_last_rejection(api: Approvals) -> None:
    for i in range(4):
        ask(api, approval_id=f"apr_{i}")
    api.approve("apr_0", actor="bob", role="reviewer")
    api.approve("apr_1", actor="bob", role="reviewer", arguments={"order_id": "x", "amount": 1},
                reason="edit")  # fmt: skip
    rejected = api.reject("apr_2", actor="bob", role="reviewer", reason="no")
    stats = api.stats(tool="submit_refund")
    assert (stats.decisions, stats.approved, stats.rejected, stats.edited) == (3, 2, 1, 1)
    assert stats.approval_rate == pytest.approx(2 / 3)
    assert stats.last_rejection_at == rejected.decided_at
    assert api.stats(tool="other").approval_rate is None
    assert [a.approval_id for a in api.list()] == ["apr_3"]
