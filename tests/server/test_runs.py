"""Runs over HTTP with a real Engine launched in the app's lifespan, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from earned.approvals import ApprovalSettings
from earned.runtime import Engine
from earned.server import create_app
from tests.server.agents import AGENTS, REFUNDS
from tests.server.conftest import Api, Notices, issue_tokens

pytestmark = pytest.mark.slow

FAST = ApprovalSettings(timeout=120, poll_interval=0.2)


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[Api]:
    """The API with an Engine serving the test agents (launched by the app's lifespan)."""
    REFUNDS.clear()
    engine = Engine(AGENTS, database_url=database_url, approval_settings=FAST)
    app = create_app(engine=engine)
    async with app.router.lifespan_context(app):
        assert engine.db is not None
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(app=app, client=client, db=engine.db, secrets=issue_tokens(engine.db),
                      notices=Notices())  # fmt: skip


async def until(api: Api, run_id: str, *statuses: str) -> dict[str, Any]:
    """Poll the run until it reaches one of `statuses` (bounded)."""
    for _ in range(600):
        run = (await api.get(f"/v1/runs/{run_id}", as_="acme-viewer")).json()
        if run["status"] in statuses:
            return run
        await asyncio.sleep(0.02)
    raise AssertionError(f"run {run_id} never reached {statuses}: {run['status']}")


async def test_a_sync_submission_answers_with_the_result(served: Api) -> None:
    response = await served.post("/v1/runs", as_="acme-operator",
                                 json={"agent": "echo", "input": {"text": "hi"}, "user": "ana"})  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["result"]["output"]) == ("completed", {"echo": "hi"})
    run_id = body["run_id"]
    assert body["links"] == {
        "run": f"/v1/runs/{run_id}",
        "events": f"/v1/runs/{run_id}/events",
        "trace": f"/v1/traces/{run_id}",
    }
    run = (await served.get(f"/v1/runs/{run_id}", as_="acme-viewer")).json()
    assert (run["tenant"], run["user"], run["role"]) == ("acme", "ana", "operator")
    trace = (await served.get(f"/v1/traces/{run_id}", as_="acme-viewer")).json()
    assert trace["run"]["status"] == "completed"


async def test_a_run_that_needs_a_human_answers_202_and_goes_on_once_approved(
    served: Api,
) -> None:
    response = await served.post(
        "/v1/runs", as_="acme-operator",
        json={"agent": "refund", "input": {"order_id": "ord_7", "amount": 80.0}},
    )  # fmt: skip
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "waiting_approval"
    [approval_id] = body["approval_ids"]
    assert response.headers["location"] == f"/v1/runs/{body['run_id']}"
    assert REFUNDS == {}
    queue = (await served.get("/v1/review/queue", as_="acme-reviewer")).json()
    assert [i["item_id"] for i in queue] == [approval_id]
    assert queue[0]["context"]["reason"] == "the parcel arrived damaged (policy 3.2)"
    decided = await served.post(f"/v1/approvals/{approval_id}/approve", as_="acme-reviewer",
                                json={})  # fmt: skip
    assert decided.status_code == 200, decided.text
    assert decided.json()["review"]["datasets"] == ["positive"]
    run = await until(served, body["run_id"], "completed")
    assert run["result"]["output"] == {"refunded": True, "refund_id": "ref_ord_7", "amount": 80.0}
    assert list(REFUNDS.values()) == [80.0]


async def test_a_rejection_through_the_api_reaches_the_run(served: Api) -> None:
    body = (await served.post("/v1/runs", as_="acme-operator",
                              json={"agent": "refund", "input": {"order_id": "o", "amount": 9.0}})).json()  # fmt: skip
    [approval_id] = body["approval_ids"]
    rejected = await served.post(f"/v1/approvals/{approval_id}/reject", as_="acme-reviewer",
                                 json={"reason_code": "unsafe_action", "note": "already refunded"})  # fmt: skip
    assert rejected.json()["review"]["datasets"] == ["adversarial", "regression"]
    run = await until(served, body["run_id"], "completed")
    assert run["result"]["output"]["refunded"] is False
    assert "already refunded" in run["result"]["output"]["why"]
    assert REFUNDS == {}


async def test_an_async_submission_returns_at_once_and_runs_on_the_queue(served: Api) -> None:
    response = await served.post("/v1/runs", as_="acme-operator",
                                 json={"agent": "echo", "input": {"text": "later"}, "mode": "async"})  # fmt: skip
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["result"]) == ("pending", None)
    run = await until(served, body["run_id"], "completed")
    assert run["result"]["output"] == {"echo": "later"}


async def test_a_sync_submission_that_outlasts_its_timeout_answers_202(served: Api) -> None:
    response = await served.post("/v1/runs", as_="acme-operator",
                                 json={"agent": "slow", "input": {"seconds": 2}, "timeout": 0.05})  # fmt: skip
    assert response.status_code == 202
    assert response.json()["status"] == "running"
    await until(served, response.json()["run_id"], "completed")


async def test_an_idempotency_key_returns_the_same_run(served: Api) -> None:
    body = {"agent": "echo", "input": {"text": "once"}, "idempotency_key": "ticket-42"}
    first = (await served.post("/v1/runs", as_="acme-operator", json=body)).json()
    second = (await served.post("/v1/runs", as_="acme-operator", json=body)).json()
    assert first["run_id"] == second["run_id"]
    globex = token_for(served, "globex", "operator")
    theirs = (await served.client.post("/v1/runs", json=body, headers=globex)).json()
    assert theirs["run_id"] != first["run_id"]  # the same key in another tenant is another run
    runs = (await served.get("/v1/runs?agent=echo", as_="acme-viewer")).json()
    assert [r["run_id"] for r in runs] == [first["run_id"]]


def token_for(api: Api, tenant: str, role: str) -> dict[str, str]:
    from earned.server import TokenStore

    secret = TokenStore(api.db).create(name=f"{tenant}-{role}-2", role=role, tenant=tenant).secret
    return {"Authorization": f"Bearer {secret}"}


async def test_the_event_stream_sends_each_span_then_the_end(served: Api) -> None:
    done = (await served.post("/v1/runs", as_="acme-operator",
                              json={"agent": "echo", "input": {"text": "stream"}})).json()  # fmt: skip
    response = await served.get(f"/v1/runs/{done['run_id']}/events", as_="acme-viewer")
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _parse_sse(response.text)
    kinds = [json.loads(data)["kind"] for name, data in events if name == "span"]
    assert "run" in kinds
    assert "tool_call" in kinds
    name, data = events[-1]
    assert name == "end"
    assert json.loads(data)["status"] == "completed"


async def test_the_event_stream_follows_a_run_until_it_ends(served: Api) -> None:
    body = (await served.post("/v1/runs", as_="acme-operator",
                              json={"agent": "slow", "input": {"seconds": 0.5}, "mode": "async"})).json()  # fmt: skip
    response = await served.get(f"/v1/runs/{body['run_id']}/events", as_="acme-viewer")
    events = _parse_sse(response.text)
    assert events[-1][0] == "end"
    assert json.loads(events[-1][1])["result"]["output"] == {"waited": 0.5}


def _parse_sse(text: str) -> list[tuple[str, str]]:
    events: list[tuple[str, str]] = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith(":")]
        fields = dict(line.split(": ", 1) for line in lines if ": " in line)
        if "event" in fields:
            events.append((fields["event"], fields["data"]))
    return events


async def test_a_waiting_run_can_be_cancelled(served: Api) -> None:
    body = (await served.post("/v1/runs", as_="acme-operator",
                              json={"agent": "refund", "input": {"order_id": "o", "amount": 1.0}})).json()  # fmt: skip
    cancelled = await served.post(f"/v1/runs/{body['run_id']}/cancel", as_="acme-operator",
                                  json={"reason": "customer withdrew"})  # fmt: skip
    assert cancelled.json()["status"] == "cancelled"
    again = await served.post(f"/v1/runs/{body['run_id']}/cancel", as_="acme-operator", json={})
    assert again.status_code == 409


async def test_an_assist_stage_run_becomes_a_draft_to_edit_and_export(served: Api) -> None:
    body = (await served.post("/v1/runs", as_="acme-admin",
                              json={"agent": "echo", "input": {"text": "Dear Sir"},
                                    "stage": "assist"})).json()  # fmt: skip
    assert body["status"] == "completed"
    item_id = f"drf_{body['run_id']}"
    item = (await served.get(f"/v1/review/items/{item_id}", as_="acme-reviewer")).json()
    assert (item["kind"], item["context"]["output"]) == ("draft", {"echo": "Dear Sir"})
    decided = await served.post(f"/v1/review/items/{item_id}/decision", as_="acme-reviewer",
                                json={"action": "approve_edited", "edited": {"echo": "Hi Ana"},
                                      "reason_code": "bad_tone", "note": "too formal"})  # fmt: skip
    assert decided.status_code == 200, decided.text
    export = await served.get("/v1/review/export?reason=bad_tone", as_="acme-viewer")
    [line] = export.text.splitlines()
    case = json.loads(line)
    assert case["input"] == {"text": "Dear Sir"}
    assert case["metadata"]["final"] == {"echo": "Hi Ana"}


async def test_runs_refuse_what_the_token_may_not_ask(served: Api) -> None:
    stage = await served.post("/v1/runs", as_="acme-operator",
                              json={"agent": "echo", "stage": "autonomous"})  # fmt: skip
    assert stage.status_code == 403
    assert "only admin tokens may set stage" in stage.json()["error"]["message"]
    tenant = await served.post("/v1/runs", as_="acme-operator",
                               json={"agent": "echo", "tenant": "globex"})  # fmt: skip
    assert tenant.status_code == 403
    unknown = await served.post("/v1/runs", as_="acme-operator", json={"agent": "nope"})
    assert unknown.status_code == 404
    assert "GET /v1/agents" in unknown.json()["error"]["fix"]
    agents = (await served.get("/v1/agents", as_="acme-viewer")).json()
    assert [a["name"] for a in agents] == ["echo", "refund", "slow"]
    assert agents[1]["tools"] == [{"name": "submit_refund", "risk": "irreversible"}]
