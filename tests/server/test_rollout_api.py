"""The rollout routes: the matrix, flags and kill switches, promotion on evidence, rollback.

On SQLite and PostgreSQL (the `db` and `database_url` fixtures), through the real stores and
the same `Promotion` code as `earned rollout`; a kill switch pulled over HTTP stops the next
run of a real engine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from earned.rollout import CapabilityMatrix, RolloutStore, load_matrix
from earned.runtime import Engine
from earned.server import TokenStore, create_app
from earned.store import AuditLog, Database
from tests.review.seed import NOW
from tests.rollout.evidence import eval_run, write_gates
from tests.server.agents import ECHO, REFUND
from tests.server.conftest import Api, Notices, issue_tokens, serve

MATRIX = """\
version: 1
name: helpdesk
owner: Support ops
capabilities:
  - name: payments
    owner: finance
    stage: shadow
    required_eval: gates.yaml
    tools: [submit_refund]
    max_risk: irreversible
    rollback: Keep approval required
    stop_conditions:
      - id: unauthorized-attempts
        count: unauthorized
        above: 5
        window: 24h
  - name: draft_reply
    owner: support
    stage: disabled
    tools: [echo]
    max_risk: read
"""


def write_matrix(folder: Path) -> CapabilityMatrix:
    write_gates(folder)
    path = folder / "capabilities.yaml"
    path.write_text(MATRIX)
    return load_matrix(path)


@pytest.fixture
async def rollout_api(db: Database, tmp_path: Path) -> AsyncIterator[Api]:
    async for served in serve(db, matrix=write_matrix(tmp_path)):
        yield served


def owner_of(db: Database, *capabilities: str) -> dict[str, str]:
    secret = (
        TokenStore(db)
        .create(name="drafts-owner", role="owner", tenant="acme", capabilities=list(capabilities))
        .secret
    )
    return {"Authorization": f"Bearer {secret}"}


async def test_any_token_reads_the_matrix_with_live_stages(rollout_api: Api) -> None:
    response = await rollout_api.get("/v1/rollout/matrix", as_="globex-viewer")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["matrix"].startswith("helpdesk@")
    assert body["stages"][0] == "disabled"
    assert body["stages"][-1] == "autonomous"
    rows = {c["name"]: c for c in body["capabilities"]}
    assert rows["payments"]["stage"] == "shadow"
    assert rows["payments"]["enabled"] is True
    assert rows["payments"]["fallback"] == "approval_required"
    assert rows["payments"]["stop_conditions"][0]["id"] == "unauthorized-attempts"
    assert rows["payments"]["eval"]["passed"] is False  # no eval run yet
    assert rows["draft_reply"]["eval"] is None  # no required eval declared


async def test_a_capability_shows_the_gates_of_its_next_move(rollout_api: Api) -> None:
    response = await rollout_api.get("/v1/rollout/capabilities/payments", as_="acme-viewer")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["next"]["from"], body["next"]["to"]) == ("shadow", "assist")
    gates = {g["gate"]: g for g in body["next"]["gates"]}
    assert set(gates) == {"matrix", "eval", "stop_conditions", "time_at_stage", "enabled"}
    assert not gates["eval"]["passed"]
    assert "earned eval run" in gates["eval"]["detail"]
    assert gates["stop_conditions"]["evidence"]["results"][0]["id"] == "unauthorized-attempts"
    assert [f["flag"] for f in body["flags"]] == ["payments/enabled"]
    assert body["history"][0]["action"] == "rollout.stage"  # declared in the matrix


async def test_promotion_is_refused_with_the_unmet_gates_then_granted_on_evidence(
    rollout_api: Api, tmp_path: Path
) -> None:
    refused = await rollout_api.post(
        "/v1/rollout/capabilities/payments/promote", as_="acme-owner", json={}
    )
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert "1 gate(s) unmet" in error["message"]
    assert "eval" in error["message"]
    assert error["details"]["check"]["allowed"] is False
    assert error["fix"]
    assert RolloutStore(rollout_api.db).state("payments").stage.value == "shadow"  # type: ignore[union-attr]

    passed = eval_run(rollout_api.db, tmp_path / "gates.yaml", verdict="passed", at=NOW - 60)
    dry = await rollout_api.post(
        "/v1/rollout/capabilities/payments/promote", as_="acme-owner", json={"dry_run": True}
    )
    assert dry.json()["allowed"] is True
    assert dry.json()["promoted"] is False
    moved = await rollout_api.post(
        "/v1/rollout/capabilities/payments/promote",
        as_="acme-owner",
        json={"reason": "golden suite passed"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["state"]["stage"] == "assist"
    entry = AuditLog(rollout_api.db).list(action="rollout.promote")[0]
    assert (entry.target, entry.before, entry.after) == ("payments", "shadow", "assist")
    assert entry.actor.startswith("acme-owner (token tok_")
    assert entry.reason == "golden suite passed"
    gates = entry.details["evidence"]["gates"]  # type: ignore[index]
    assert (
        next(g for g in gates if g["gate"] == "eval")["evidence"]["runs"]["golden"]["eval_run_id"]
        == passed
    )


async def test_rollback_moves_down_now_and_refuses_to_go_up(rollout_api: Api) -> None:
    down = await rollout_api.post(
        "/v1/rollout/capabilities/payments/rollback", as_="root", json={"reason": "incident 7"}
    )
    assert down.status_code == 200, down.text
    body = down.json()
    assert (body["from"], body["state"]["stage"]) == ("shadow", "disabled")
    assert body["rollback_action"] == "Keep approval required"
    again = await rollout_api.post(
        "/v1/rollout/capabilities/payments/rollback", as_="root", json={"to": "assist"}
    )
    assert again.status_code == 409
    assert "rollback goes down" in again.json()["error"]["message"]


async def test_a_kill_switch_is_audited_with_the_token(rollout_api: Api) -> None:
    response = await rollout_api.post(
        "/v1/rollout/kill", as_="acme-owner", json={"target": "payments", "reason": "incident 42"}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["flag"], response.json()["enabled"]) == ("payments/enabled", False)
    flags = (await rollout_api.get("/v1/rollout/flags", as_="acme-viewer")).json()
    assert next(f for f in flags if f["flag"] == "payments/enabled")["enabled"] is False
    entry = AuditLog(rollout_api.db).list(action="rollout.flag")[0]
    assert (entry.target, entry.before, entry.after) == ("payments/enabled", True, False)
    assert entry.reason == "incident 42"
    history = await rollout_api.get("/v1/rollout/history?capability=payments", as_="scraper")
    assert history.json()[0]["action"] == "rollout.flag"
    back = await rollout_api.post(
        "/v1/rollout/flags",
        as_="root",
        json={"flag": "payments/enabled", "enabled": True, "reason": "fixed"},
    )
    assert back.json()["enabled"] is True
    agent = await rollout_api.post("/v1/rollout/kill", as_="root", json={"reason": "stop all"})
    assert agent.json()["flag"] == "agent_enabled"


@pytest.mark.parametrize("role", ["acme-viewer", "acme-operator", "acme-reviewer"])
async def test_only_owners_and_admins_change_the_rollout(rollout_api: Api, role: str) -> None:
    for path, body in [
        ("/v1/rollout/kill", {"target": "payments", "reason": "x"}),
        ("/v1/rollout/flags", {"flag": "write_tools_enabled", "enabled": False, "reason": "x"}),
        ("/v1/rollout/capabilities/payments/promote", {}),
        ("/v1/rollout/capabilities/payments/rollback", {}),
        ("/v1/rollout/check", {}),
    ]:
        response = await rollout_api.post(path, as_=role, json=body)
        assert response.status_code == 403, (path, response.text)
        assert "manage" in response.json()["error"]["message"]
    flags = (await rollout_api.get("/v1/rollout/flags", as_=role)).json()
    assert all(f["enabled"] for f in flags)


async def test_an_owner_token_manages_only_its_capabilities(rollout_api: Api) -> None:
    headers = owner_of(rollout_api.db, "draft_reply")
    client = rollout_api.client
    for path, body in [
        ("/v1/rollout/kill", {"target": "payments", "reason": "x"}),
        ("/v1/rollout/kill", {"target": "agent", "reason": "x"}),
        ("/v1/rollout/flags", {"flag": "write_tools_enabled", "enabled": False, "reason": "x"}),
        ("/v1/rollout/capabilities/payments/rollback", {}),
        ("/v1/rollout/capabilities/payments/promote", {"dry_run": True}),
    ]:
        response = await client.post(path, headers=headers, json=body)
        assert response.status_code == 403, (path, response.text)
        assert "draft_reply" in response.json()["error"]["message"]
    mine = await client.post(
        "/v1/rollout/kill", headers=headers, json={"target": "draft_reply", "reason": "mine"}
    )
    assert mine.status_code == 200, mine.text
    promoted = await client.post(
        "/v1/rollout/capabilities/draft_reply/promote", headers=headers, json={}
    )
    assert promoted.status_code == 409  # its kill switch is off now: the `enabled` gate
    gates = promoted.json()["error"]["details"]["check"]["gates"]
    assert next(g for g in gates if g["gate"] == "enabled")["passed"] is False
    checked = await client.post("/v1/rollout/check", headers=headers, json={"demote": False})
    assert {r["capability"] for r in checked.json()["results"]} <= {"draft_reply"}


async def test_bad_input_is_a_4xx_that_says_what_to_fix(rollout_api: Api) -> None:
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("/v1/rollout/capabilities/nope/promote", {}, 404, "known: draft_reply, payments"),
        ("/v1/rollout/kill", {"target": "nope/enabled", "reason": "x"}, 404, "known"),
        ("/v1/rollout/flags", {"flag": "warp_drive", "enabled": False, "reason": "x"}, 400,
         "known: "),
        ("/v1/rollout/kill", {"target": "payments", "reason": "  "}, 422, "reason"),
        ("/v1/rollout/kill", {"target": "payments"}, 422, "reason"),
        ("/v1/rollout/capabilities/payments/promote", {"to": "moon"}, 422, "to"),
        ("/v1/rollout/capabilities/payments/promote", {"to": "disabled"}, 400,
         "promotion goes up"),
        ("/v1/rollout/capabilities/payments/promote", {"force": True}, 422, "force"),
    ]  # fmt: skip
    for path, body, status, words in cases:
        response = await rollout_api.post(path, as_="root", json=body)
        assert response.status_code == status, (path, body, response.text)
        error = response.json()["error"]
        assert words in error["message"] + error["fix"] + str(error.get("details")), (path, error)
        assert error["fix"]


async def test_without_a_matrix_the_rollout_routes_say_how_to_get_one(api: Api) -> None:
    response = await api.get("/v1/rollout/matrix", as_="acme-viewer")
    assert response.status_code == 503
    assert "--matrix" in response.json()["error"]["fix"]


async def test_versions_and_pins_are_readable(rollout_api: Api) -> None:
    versions = await rollout_api.get("/v1/rollout/versions?kind=prompt", as_="acme-viewer")
    assert versions.status_code == 200
    assert versions.json() == []
    pins = await rollout_api.get("/v1/rollout/pins", as_="acme-viewer")
    assert pins.status_code == 200
    assert pins.json() == []
    bad = await rollout_api.get("/v1/rollout/versions?kind=spaceship", as_="acme-viewer")
    assert bad.status_code == 422
    assert "kind" in bad.json()["error"]["message"]


@pytest.fixture
async def engine_api(database_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    """The API with an engine that runs under the matrix (its kill switches included)."""
    matrix = load_matrix(_engine_matrix(tmp_path))
    engine = Engine([ECHO, REFUND], database_url=database_url, matrix=matrix, monitor=False)
    app = create_app(engine=engine)
    async with app.router.lifespan_context(app):
        assert engine.db is not None
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(app=app, client=client, db=engine.db, secrets=issue_tokens(engine.db),
                      notices=Notices())  # fmt: skip


def _engine_matrix(folder: Path) -> Path:
    write_gates(folder)
    path = folder / "capabilities.yaml"
    path.write_text(
        MATRIX.replace("stage: disabled", "stage: autonomous").replace(
            "    max_risk: read\n",
            "    max_risk: read\n    required_eval: gates.yaml\n    rollback: Turn drafts off\n",
        )
    )
    return path


@pytest.mark.slow
async def test_a_kill_switch_pulled_over_http_stops_the_next_run(engine_api: Api) -> None:
    payload = {"agent": "echo", "input": {"text": "hi"}}
    first = await engine_api.post("/v1/runs", as_="acme-operator", json=payload)
    assert first.json()["status"] == "completed", first.text
    kill = await engine_api.post(
        "/v1/rollout/kill", as_="acme-owner", json={"target": "draft_reply", "reason": "test"}
    )
    assert kill.status_code == 200, kill.text
    second = await engine_api.post("/v1/runs", as_="acme-operator", json=payload)
    result = second.json()["result"]
    assert result["status"] == "denied", second.text  # a workflow: its tool call is refused
    assert result["decisions"][0]["rule_id"] == "flag:draft_reply/enabled"
    assert "switched off" in result["error"]["message"]
