"""The review queue pages: order, context, decisions with reasons, validation, tenancy."""

from __future__ import annotations

import sqlalchemy as sa

from earned.approvals import ApprovalStore
from earned.review import ReviewQueue
from earned.store._tables import review_decisions
from tests.console.conftest import Pages
from tests.review.seed import HOUR, NOW, Clock, seed_approval, seed_run
from tests.server.conftest import Api


def _seed(api: Api) -> None:
    seed_approval(api.db, "run_old_read", risk="read", created_at=NOW - 0.5 * HOUR,
                  tool="get_order", arguments={"order_id": "ord_9"})  # fmt: skip
    seed_approval(api.db, "run_refund", arguments={"order_id": "ord_7", "amount": 80.0},
                  created_at=NOW - 0.2 * HOUR)  # fmt: skip
    seed_approval(api.db, "run_globex", tenant="globex", created_at=NOW - 0.3 * HOUR,
                  arguments={"order_id": "ord_secret_globex", "amount": 5.0})  # fmt: skip
    seed_run(api.db, "run_draft", stage="assist", output={"reply": "Hello Ana, refund sent."})


async def test_the_queue_lists_the_tenants_items_by_risk_then_age(pages: Pages, api: Api) -> None:
    _seed(api)
    session = await pages.login("acme-reviewer")
    page = await session.get("/console/review")
    assert page.status_code == 200
    text = page.text
    assert (
        text.index("apr_run_refund") < text.index("drf_run_draft") < text.index("apr_run_old_read")
    )
    assert "submit_refund(order_id=&#39;ord_7&#39;, amount=80.0)" in text
    assert "globex" not in text
    assert "ord_secret_globex" not in text
    drafts = await session.get("/console/review?kind=draft")
    assert "drf_run_draft" in drafts.text
    assert "apr_run_refund" not in drafts.text


async def test_an_item_shows_the_approval_context_and_links_the_trace(
    pages: Pages, api: Api
) -> None:
    _seed(api)
    session = await pages.login("acme-reviewer")
    page = await session.get("/console/review/apr_run_refund")
    assert page.status_code == 200
    for words in (
        "submit_refund(order_id=&#39;ord_7&#39;, amount=80.0)",
        "the item arrived damaged (policy 3.2)",
        "refunds-with-approval",
        "refunds over $25 need a reviewer",
        "&#34;total&#34;: 40.0",  # gathered
        "submit_refund",  # capability
        "approval_required",  # stage
        'href="/console/traces/run_refund"',
        "wrong_policy",
        "unclear_reasoning",
    ):
        assert words in page.text, words


async def test_another_tenants_item_is_not_found_in_html(pages: Pages, api: Api) -> None:
    _seed(api)
    session = await pages.login("acme-reviewer")
    page = await session.get("/console/review/apr_run_globex")
    assert page.status_code == 404
    assert "ord_secret_globex" not in page.text
    decided = await session.post("/console/review/apr_run_globex/decide", {"action": "approve"})
    assert decided.status_code == 404
    assert ApprovalStore(api.db).get("apr_run_globex").status == "pending"  # type: ignore[union-attr]


async def test_approving_goes_through_the_queue_and_wakes_the_run(pages: Pages, api: Api) -> None:
    _seed(api)
    session = await pages.login("acme-reviewer")
    page = await session.get("/console/review/apr_run_refund")
    digest = ApprovalStore(api.db).get("apr_run_refund").arguments_digest  # type: ignore[union-attr]
    assert digest in page.text
    response = await session.post(
        "/console/review/apr_run_refund/decide", {"action": "approve", "expected_digest": digest}
    )
    assert response.status_code == 303
    queue = await session.get("/console/review")
    assert "apr_run_refund approved" in queue.text  # the flash
    assert "apr_run_refund" not in queue.text.replace("apr_run_refund approved", "")
    assert ApprovalStore(api.db).get("apr_run_refund").status == "approved"  # type: ignore[union-attr]
    assert api.notices.sent == [("run_refund", "apr_run_refund")]
    again = await session.post("/console/review/apr_run_refund/decide", {"action": "approve"})
    assert again.status_code == 409
    assert "approval apr_run_refund is not waiting for a decision (it is approved)" in again.text, (
        again.text
    )


async def test_rejecting_needs_a_reason_code_and_a_note(pages: Pages, api: Api) -> None:
    _seed(api)
    session = await pages.login("acme-reviewer")
    path = "/console/review/apr_run_refund/decide"
    missing = await session.post(path, {"action": "reject", "note": "no"})
    assert missing.status_code == 400
    assert "a reason code must be one of wrong_policy" in missing.text
    assert ">no</textarea>" in missing.text  # what was typed is kept
    unknown = await session.post(path, {"action": "reject", "reason_code": "vibes", "note": "x"})
    assert unknown.status_code == 400
    no_note = await session.post(path, {"action": "reject", "reason_code": "unsafe_action"})
    assert no_note.status_code == 400
    assert "a note is required" in no_note.text
    done = await session.post(
        path, {"action": "reject", "reason_code": "unsafe_action", "note": "amount over policy"}
    )
    assert done.status_code == 303
    with api.db.engine.connect() as conn:
        row = conn.execute(sa.select(review_decisions)).mappings().one()
    assert (row["decision"], row["reason_code"], row["note"], row["reviewer"]) == (
        "reject", "unsafe_action", "amount over policy", "acme-reviewer",
    )  # fmt: skip


async def test_approving_with_edits_validates_json_and_keeps_unchanged_values(
    pages: Pages, api: Api
) -> None:
    seed_approval(
        api.db, "run_pii", arguments={"order_id": "ana.lopez@example.com", "amount": 80.0}
    )
    session = await pages.login("acme-reviewer")
    page = await session.get("/console/review/apr_run_pii")
    assert "ana.lopez@example.com" not in page.text  # redacted on the page
    path = "/console/review/apr_run_pii/decide"
    base = {"action": "approve_edited", "reason_code": "wrong_policy", "note": "cap at 25"}
    broken = await session.post(path, {**base, "edited": "{amount: 25"})
    assert broken.status_code == 400
    assert "is not valid JSON" in broken.text
    listed = await session.post(path, {**base, "edited": "[1, 2]"})
    assert "must be a JSON object" in listed.text
    shown = ReviewQueue(api.db).get("apr_run_pii").context["arguments"]
    from earned.console._web import redact

    redacted = redact(api.app.state.earned, "run_pii", shown)
    assert redacted["order_id"] != "ana.lopez@example.com"
    import json

    edited = json.dumps({"order_id": redacted["order_id"], "amount": 25.0})
    done = await session.post(path, {**base, "edited": edited})
    assert done.status_code == 303, done.text
    approval = ApprovalStore(api.db).get("apr_run_pii")
    assert approval is not None
    assert approval.status == "approved"
    assert approval.approved_arguments == {"order_id": "ana.lopez@example.com", "amount": 25.0}


async def test_a_viewer_sees_the_queue_but_cannot_decide(pages: Pages, api: Api) -> None:
    _seed(api)
    session = await pages.login("acme-viewer")
    page = await session.get("/console/review/apr_run_refund")
    assert "can read the queue but not decide" in page.text
    refused = await session.post("/console/review/apr_run_refund/decide", {"action": "approve"})
    assert refused.status_code == 403
    assert "needs &#39;review&#39;" in refused.text


async def test_drafts_are_approved_with_an_edited_output(pages: Pages, api: Api) -> None:
    _seed(api)
    session = await pages.login("acme-reviewer")
    response = await session.post(
        "/console/review/drf_run_draft/decide",
        {"action": "approve_edited", "edited": '{"reply": "Hi Ana, your refund is on its way."}',
         "reason_code": "bad_tone", "note": "warmer"},
    )  # fmt: skip
    assert response.status_code == 303
    decision = ReviewQueue(api.db).history("drf_run_draft")[0]
    assert decision.final == {"reply": "Hi Ana, your refund is on its way."}
    assert decision.datasets == ["prompt_feedback"]


async def test_a_bad_item_id_is_a_readable_page(pages: Pages) -> None:
    session = await pages.login("acme-reviewer")
    missing = await session.get("/console/review/apr_nope")
    assert missing.status_code == 404
    weird = await session.get("/console/review/%3Cscript%3E")
    assert weird.status_code == 422
    assert "<script>" not in weird.text
    kind = await session.get("/console/review?kind=bogus")
    assert kind.status_code == 422
    assert "Traceback" not in kind.text


async def test_draft_and_audit_items_render_with_their_forms(pages: Pages, api: Api) -> None:
    from earned.review import AuditSampler

    seed_run(api.db, "run_draft", stage="assist", output={"reply": "Hello Ana"})
    seed_run(api.db, "run_auto", stage="autonomous", status="failed", created_at=NOW - 8 * 86400)
    AuditSampler(api.db, clock=lambda: NOW).sample(tenant="acme")
    session = await pages.login("acme-reviewer")
    draft = await session.get("/console/review/drf_run_draft")
    assert draft.status_code == 200
    assert "Hello Ana" in draft.text
    assert "expected_digest" not in draft.text
    audit = await session.get("/console/review/aud_run_auto")
    assert audit.status_code == 200, audit.text
    assert "Record the score" in audit.text
    failing = {f"score_{c}": "2" for c in ("correct", "grounded", "policy", "safe", "tone")}
    refused = await session.post("/console/review/aud_run_auto/score", failing)
    assert refused.status_code in (400, 422)
    assert "reason" in refused.text
    scored = await session.post(
        "/console/review/aud_run_auto/score",
        {**failing, "reason_code": "hallucination", "note": "invented an order"},
    )
    assert scored.status_code == 303
    queue = await session.get("/console/review")
    assert "aud_run_auto scored: failed" in queue.text


async def test_reviewer_fatigue_is_flagged_on_the_queue(pages: Pages, api: Api) -> None:
    clock = Clock(NOW - HOUR)  # decisions over the last hour, a minute apart
    queue = ReviewQueue(api.db, clock=clock)
    for i in range(21):
        seed_approval(api.db, f"run_stamp_{i:02d}", created_at=NOW - 2 * HOUR + i * 60)
        clock.now += 60
        queue.decide(f"apr_run_stamp_{i:02d}", action="approve", reviewer="acme-reviewer",
                     role="reviewer", tenant="acme")  # fmt: skip
    reviewer = await pages.login("acme-reviewer")
    own = await reviewer.get("/console/review")
    assert "Reviewer fatigue" in own.text
    assert "acme-reviewer: approval rate near 100" in own.text
    owner = await pages.login("acme-owner")
    assert "acme-reviewer: approval rate near 100" in (await owner.get("/console/review")).text
    viewer = await pages.login("acme-viewer")
    assert "Reviewer fatigue" not in (await viewer.get("/console/review")).text
    other = await pages.login("globex-reviewer")
    assert "Reviewer fatigue" not in (await other.get("/console/review")).text
