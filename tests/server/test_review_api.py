"""The review queue over HTTP: queue order, item context, decisions, scores, samples, fatigue."""

from __future__ import annotations

import json

from earned.evals import parse_dataset
from tests.review.seed import HOUR, NOW, seed_approval, seed_run
from tests.server.conftest import Api


async def test_the_queue_lists_items_in_order_with_their_trace(api: Api) -> None:
    seed_run(api.db, "d1", stage="assist")
    seed_approval(api.db, "a1", risk="irreversible")
    queue = (await api.get("/v1/review/queue", as_="acme-reviewer")).json()
    assert [(i["kind"], i["item_id"]) for i in queue] == [
        ("approval", "apr_a1"),
        ("draft", "drf_d1"),
    ]
    assert queue[0]["trace"] == "/v1/traces/a1"
    assert queue[0]["age_seconds"] > 0
    drafts = (await api.get("/v1/review/queue?kind=draft", as_="acme-reviewer")).json()
    assert [i["kind"] for i in drafts] == ["draft"]


async def test_an_item_shows_its_run_input_decisions_and_history(api: Api) -> None:
    seed_approval(api.db, "a1")
    item = (await api.get("/v1/review/items/apr_a1", as_="acme-viewer")).json()
    context = item["context"]
    assert context["action"] == "submit_refund(order_id='ord_1', amount=40.0)"
    assert context["input"] == {"ticket": "ticket of a1"}
    assert context["reviews"] == []
    assert (item["capability"], item["stage"]) == ("submit_refund", "approval_required")


async def test_a_decision_records_the_reviewer_and_routes_the_example(api: Api) -> None:
    seed_run(api.db, "d1", stage="assist", output={"reply": "We cannot help."})
    response = await api.post(
        "/v1/review/items/drf_d1/decision", as_="acme-reviewer",
        json={"action": "reject", "reason_code": "wrong_policy", "note": "3.2 covers it"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    decision = response.json()
    assert (decision["reviewer"], decision["role"], decision["tenant"]) == (
        "acme-reviewer",
        "reviewer",
        "acme",
    )
    assert decision["datasets"] == ["regression", "policy_gaps"]
    again = await api.post("/v1/review/items/drf_d1/decision", as_="acme-reviewer",
                           json={"action": "approve"})  # fmt: skip
    assert again.status_code == 409
    item = (await api.get("/v1/review/items/drf_d1", as_="acme-viewer")).json()
    assert item["status"] == "rejected"
    assert [r["reason_code"] for r in item["context"]["reviews"]] == ["wrong_policy"]
    export = await api.get("/v1/review/export?dataset=policy_gaps", as_="acme-viewer")
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert len(parse_dataset(export.text, name="policy_gaps")) == 1


async def test_a_decision_missing_its_reason_is_a_422_naming_it(api: Api) -> None:
    seed_run(api.db, "d1", stage="assist")
    response = await api.post("/v1/review/items/drf_d1/decision", as_="acme-reviewer",
                              json={"action": "approve_edited", "edited": "better", "note": "n"})  # fmt: skip
    assert response.status_code == 422
    assert response.json()["error"]["details"]["check"] == "reason_code"
    bad_code = await api.post("/v1/review/items/drf_d1/decision", as_="acme-reviewer",
                              json={"action": "reject", "reason_code": "meh", "note": "n"})  # fmt: skip
    assert bad_code.status_code == 422


async def test_samples_scores_and_the_rubric(api: Api) -> None:
    seed_run(api.db, "auto1", stage="autonomous", created_at=NOW)
    seed_run(api.db, "broke", stage="autonomous", status="failed", created_at=NOW + 1)
    drawn = await api.post("/v1/review/samples", as_="acme-owner",
                           json={"week": "2027-W02", "size": 30, "seed": 7})  # fmt: skip
    assert drawn.status_code == 200, drawn.text
    assert (drawn.json()["sampled"], drawn.json()["flagged"]) == (["aud_auto1"], ["aud_broke"])
    rubric = (await api.get("/v1/review/rubric", as_="acme-reviewer")).json()
    names = [c["name"] for c in rubric["criteria"]]
    assert names == ["correct", "grounded", "policy", "safe", "tone"]
    scores = dict.fromkeys(names, 4)
    scored = await api.post("/v1/review/items/aud_auto1/score", as_="acme-reviewer",
                            json={"scores": scores})  # fmt: skip
    assert scored.json()["passed"] is True
    failing = {**scores, "grounded": 1}
    refused = await api.post("/v1/review/items/aud_broke/score", as_="acme-reviewer",
                             json={"scores": failing})  # fmt: skip
    assert refused.status_code == 422
    out_of_range = await api.post("/v1/review/items/aud_broke/score", as_="acme-reviewer",
                                  json={"scores": {**scores, "tone": 6}})  # fmt: skip
    assert out_of_range.status_code == 422
    ok = await api.post("/v1/review/items/aud_broke/score", as_="acme-reviewer",
                        json={"scores": failing, "reason_code": "hallucination",
                              "note": "invented an order"})  # fmt: skip
    assert ok.json()["datasets"] == ["adversarial", "regression"]


async def test_an_application_offers_a_draft(api: Api) -> None:
    seed_run(api.db, "r1", stage="limited", output={"reply": "first try"})
    offered = await api.post("/v1/review/drafts", as_="acme-operator",
                             json={"run_id": "r1", "output": {"reply": "for review"}})  # fmt: skip
    assert offered.status_code == 200, offered.text
    assert offered.json()["context"]["output"] == {"reply": "for review"}
    seed_run(api.db, "g1", tenant="globex", stage="limited")
    theirs = await api.post("/v1/review/drafts", as_="acme-operator", json={"run_id": "g1"})
    assert theirs.status_code == 404


async def test_fatigue_and_reasons_are_served(api: Api) -> None:
    reasons = (await api.get("/v1/review/reasons", as_="acme-viewer")).json()
    assert reasons["reasons"]["missing_data"]["datasets"] == ["retrieval_gaps"]
    fatigue = await api.get("/v1/review/fatigue?window=7d", as_="acme-owner")
    assert fatigue.status_code == 200
    assert fatigue.json()["flagged"] == []
    assert json.dumps(fatigue.json())


async def test_approvals_list_stats_and_history(api: Api) -> None:
    seed_approval(api.db, "a1", created_at=NOW - 2 * HOUR)
    seed_approval(api.db, "a2")
    listed = (await api.get("/v1/approvals", as_="acme-viewer")).json()
    assert [a["approval_id"] for a in listed] == ["apr_a1", "apr_a2"]
    await api.post("/v1/approvals/apr_a1/reject", as_="acme-reviewer",
                   json={"reason_code": "missing_data", "note": "check the order first"})  # fmt: skip
    stats = (await api.get("/v1/approvals/stats", as_="acme-viewer")).json()
    assert (stats["decisions"], stats["rejected"]) == (1, 1)
    detail = (await api.get("/v1/approvals/apr_a1", as_="acme-viewer")).json()
    assert [e["kind"] for e in detail["history"]] == ["requested", "decided"]
    assert detail["reviews"][0]["reason_code"] == "missing_data"
    assert api.notices.sent == [("a1", "apr_a1")]
    rejected = (await api.get("/v1/approvals?status=rejected", as_="acme-viewer")).json()
    assert [a["approval_id"] for a in rejected] == ["apr_a1"]
