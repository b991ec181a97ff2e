"""Every error is a JSON body that says what to fix, with a 4xx status; bad input is never a 500."""

from __future__ import annotations

import json

from tests.review.seed import seed_approval
from tests.server.conftest import Api


def assert_error(response: object, status: int, kind: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["type"] == kind
    assert error["message"]
    assert error["fix"], "every error says how to fix it"
    return error


async def test_an_unknown_path_and_a_wrong_method_are_json(api: Api) -> None:
    assert_error(await api.get("/v1/nothing", as_="acme-viewer"), 404, "NotFound")
    response = await api.client.delete("/v1/runs", headers=api.auth("acme-viewer"))
    assert_error(response, 405, "MethodNotAllowed")


async def test_a_validation_error_names_each_problem(api: Api) -> None:
    response = await api.post(
        "/v1/runs", as_="acme-operator", json={"agent": "", "mode": "now", "extra": 1}
    )
    error = assert_error(response, 422, "ValidationError")
    problems = error["details"]["problems"]  # type: ignore[index]
    assert any(p.startswith("body.agent:") for p in problems)
    assert any(p.startswith("body.mode:") for p in problems)
    assert any(p.startswith("body.extra:") for p in problems)


BAD_QUERIES = [
    "/v1/runs?limit=0",
    "/v1/runs?limit=100000000000000000000000",
    "/v1/runs?offset=-1",
    "/v1/runs?offset=1000000000000000000000",
    "/v1/runs?status=finished",
    "/v1/runs?agent=a%00b",
    "/v1/runs/run%00x",
    "/v1/traces?since=abc",
    "/v1/traces?min_cost=-1",
    "/v1/traces?status=failed;drop",
    "/v1/traces?since=1e400",
    "/v1/metrics?window=forever",
    "/v1/metrics?by=weather",
    "/v1/approvals/stats?days=0",
    "/v1/review/queue?kind=everything",
    "/v1/review/export",
    "/v1/review/export?reason=typo",
    "/v1/review/fatigue?window=0d",
    "/v1/runs?stauts=failed",
    "/v1/runs?agent=a&agent=b",
]


async def test_bad_query_input_is_a_4xx_json_error(api: Api) -> None:
    for path in BAD_QUERIES:
        response = await api.get(path, as_="acme-owner")
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text)
        assert response.json()["error"]["fix"], path


async def test_a_misspelled_or_repeated_query_parameter_is_refused(api: Api) -> None:
    typo = await api.get("/v1/runs?stauts=failed", as_="acme-viewer")
    assert typo.status_code == 422
    assert typo.json()["error"]["message"] == "unknown query parameter 'stauts'"
    assert "status" in typo.json()["error"]["fix"]
    twice = await api.get("/v1/runs?agent=a&agent=b", as_="acme-viewer")
    assert twice.status_code == 422
    assert "given more than once" in twice.json()["error"]["message"]
    kinds = await api.get("/v1/review/queue?kind=draft&kind=audit", as_="acme-viewer")
    assert kinds.status_code == 200  # a list parameter may repeat


BAD_BODIES = {
    "malformed": b"{not json",
    "array": b"[]",
    "nan": b'{"agent": "echo", "input": NaN}',
    "nul": b'{"agent": "echo", "input": "nul \\u0000 inside"}',
    "nul-key": b'{"agent": "echo", "input": {"k\\u0000": 1}}',
    "deep": b'{"agent": "echo", "input": ' + b"[" * 100 + b"]" * 100 + b"}",
    "very-deep": b'{"agent": "echo", "input": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "inf": b'{"agent": "echo", "timeout": 1e999}',
}


async def test_bad_bodies_are_a_4xx_json_error(api: Api) -> None:
    headers = {**api.auth("acme-operator"), "content-type": "application/json"}
    for name, body in BAD_BODIES.items():
        response = await api.client.post("/v1/runs", content=body, headers=headers)
        assert 400 <= response.status_code < 500, (name, response.text)
        assert response.json()["error"]["fix"], name


async def test_integrity_refusals_say_which_check_failed(api: Api) -> None:
    seed_approval(api.db, "r1", tenant="acme", approvers=["reviewer"])
    owner = await api.post("/v1/approvals/apr_r1/approve", as_="acme-owner", json={})
    error = assert_error(owner, 403, "ApprovalRefused")
    assert error["details"]["check"] == "role"  # type: ignore[index]
    stale = await api.post("/v1/approvals/apr_r1/approve", as_="acme-reviewer",
                           json={"expected_digest": "sha256:stale"})  # fmt: skip
    assert assert_error(stale, 409, "ApprovalRefused")["details"]["check"] == "digest"  # type: ignore[index]
    edit = await api.post("/v1/approvals/apr_r1/approve", as_="acme-reviewer",
                          json={"arguments": {"order_id": "ord_1", "amount": 5.0}})  # fmt: skip
    assert assert_error(edit, 422, "ReviewRefused")["details"]["check"] == "reason_code"  # type: ignore[index]
    bad_edit = await api.post(
        "/v1/approvals/apr_r1/approve", as_="acme-reviewer",
        json={"arguments": {"order": "ord_1"}, "reason_code": "wrong_policy", "note": "n"},
    )  # fmt: skip
    assert assert_error(bad_edit, 409, "ApprovalRefused")["details"]["check"] == "arguments"  # type: ignore[index]
    done = await api.post("/v1/approvals/apr_r1/approve", as_="acme-reviewer", json={})
    assert done.status_code == 200
    again = await api.post("/v1/approvals/apr_r1/approve", as_="acme-reviewer", json={})
    assert assert_error(again, 409, "ApprovalRefused")["details"]["check"] == "not_pending"  # type: ignore[index]


async def test_a_server_without_agents_says_how_to_run_some(api: Api) -> None:
    response = await api.post("/v1/runs", as_="acme-operator", json={"agent": "echo"})
    error = assert_error(response, 503, "Unavailable")
    assert "earned serve MODULE:ATTR" in str(error["fix"])


async def test_the_openapi_schema_is_published_and_no_docs_page_loads_a_cdn(api: Api) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    assert schema["info"]["title"] == "earned"
    assert schema["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert (await api.client.get("/docs")).status_code == 404
    assert json.dumps(schema).count("/v1/") > 20
