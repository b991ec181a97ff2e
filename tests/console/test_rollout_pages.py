"""The capabilities, evals and metrics pages, in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from earned.evals import EvalRunRecord, EvalStore, load_manifest
from earned.evals._gates import GateResult
from earned.metrics import load_rules_text
from earned.rollout import RolloutStore
from earned.server import TokenStore
from earned.store import AuditLog, Database
from tests.console.conftest import Pages, Session
from tests.review.seed import NOW, seed_run
from tests.server.conftest import serve
from tests.server.test_rollout_api import write_matrix

FIRING_RULES = """\
version: 1
rules:
  - id: any-run
    metric: runs
    op: ">"
    threshold: 0
    window: 24h
    severity: warning
    runbook: approval-rate-low
    description: any run at all (a rule that fires in this test)
"""


@pytest.fixture
async def pages(db: Database, tmp_path: Path) -> AsyncIterator[Pages]:
    """Clients on a console whose server has a capability matrix and a firing alert rule."""
    rules = load_rules_text(FIRING_RULES)
    async for served in serve(db, matrix=write_matrix(tmp_path), alert_rules=rules):
        made = Pages(api=served)
        yield made
        for client in made.clients:
            await client.aclose()


def svgs(html: str) -> int:
    return html.count("<svg ")


async def test_a_viewer_sees_the_matrix_with_a_ladder_per_capability_and_no_buttons(
    pages: Pages,
) -> None:
    viewer = await pages.login("acme-viewer")
    page = await viewer.get("/console/capabilities")
    assert page.status_code == 200, page.text
    assert "helpdesk@" in page.text
    assert svgs(page.text) == 2  # one ladder per capability
    assert 'aria-label="stage ladder: at shadow"' in page.text
    assert "write_tools_enabled" in page.text
    assert "Kill payments" not in page.text
    assert "owners and admins change stages and flags" in page.text


async def test_an_owner_pulls_a_kill_switch_and_it_is_audited(pages: Pages) -> None:
    owner = await pages.login("acme-owner")
    page = await owner.get("/console/capabilities")
    assert "Kill payments" in page.text
    done = await owner.post(
        "/console/capabilities/flags",
        {"flag": "payments/enabled", "value": "off", "reason": "incident 42", "back": "matrix"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/console/capabilities"
    after = await owner.get("/console/capabilities")
    assert "payments/enabled is now OFF (incident 42)" in after.text
    assert "KILLED" in after.text
    assert 'aria-label="stage ladder: at shadow, switched off"' in after.text
    assert RolloutStore(pages.api.db).snapshot("payments")[1]["payments/enabled"] is False
    entry = AuditLog(pages.api.db).list(action="rollout.flag")[0]
    assert entry.actor.startswith("acme-owner (token tok_")


async def test_a_kill_switch_needs_a_reason_a_csrf_token_and_ownership(pages: Pages) -> None:
    owner = await pages.login("acme-owner")
    no_reason = await owner.post(
        "/console/capabilities/flags", {"flag": "payments/enabled", "value": "off"}
    )
    assert no_reason.status_code == 400
    assert "a reason" in no_reason.text
    forged = await owner.client.post(
        "/console/capabilities/flags",
        data={"csrf": "forged", "flag": "payments/enabled", "value": "off", "reason": "x"},
    )
    assert forged.status_code == 403
    secret = (
        TokenStore(pages.api.db)
        .create(name="drafts-owner", role="owner", tenant="acme", capabilities=["draft_reply"])
        .secret
    )
    pages.api.secrets["drafts-owner"] = secret
    narrow = await pages.login("drafts-owner")
    page = await narrow.get("/console/capabilities")
    assert "Kill draft_reply" in page.text
    assert "Kill payments" not in page.text
    refused = await narrow.post(
        "/console/capabilities/flags",
        {"flag": "payments/enabled", "value": "off", "reason": "not mine"},
    )
    assert refused.status_code == 403
    assert "manages draft_reply" in refused.text
    viewer = await pages.login("acme-viewer")
    denied = await viewer.post(
        "/console/capabilities/flags", {"flag": "agent", "value": "off", "reason": "x"}
    )
    assert denied.status_code == 403
    assert RolloutStore(pages.api.db).snapshot("payments")[1]["payments/enabled"] is True


async def test_the_capability_page_shows_the_gates_and_refuses_an_unearned_promotion(
    pages: Pages,
) -> None:
    owner = await pages.login("acme-owner")
    page = await owner.get("/console/capabilities/payments")
    assert page.status_code == 200, page.text
    assert "Gates to assist" in page.text
    assert re.search(r'id="gate-eval">.*?FAIL', page.text, re.S)
    assert "unauthorized-attempts" in page.text
    refused = await owner.post(
        "/console/capabilities/payments/promote", {"reason": "looks fine to me"}
    )
    assert refused.status_code == 409
    assert "payments stays at shadow" in refused.text
    assert RolloutStore(pages.api.db).state("payments").stage.value == "shadow"  # type: ignore[union-attr]
    down = await owner.post(
        "/console/capabilities/payments/rollback", {"to": "disabled", "reason": "incident 9"}
    )
    assert down.status_code == 303
    after = await owner.get("/console/capabilities/payments")
    assert "rolled back payments: shadow -&gt; disabled" in after.text
    assert "rollout.rollback" in after.text


async def test_an_unknown_capability_is_a_404_page(pages: Pages) -> None:
    viewer = await pages.login("acme-viewer")
    page = await viewer.get("/console/capabilities/warp_drive")
    assert page.status_code == 404
    assert "known: draft_reply, payments" in page.text


def store_eval(db: Database, gates: Path, *, score: float, at: float) -> str:
    manifest = load_manifest(gates)
    store = EvalStore(db, clock=lambda: at)
    store.save_manifest(manifest)
    run_id = f"ev_{int(at)}"
    store.create_run(
        EvalRunRecord(
            eval_run_id=run_id, suite="golden", capability=manifest.capability,
            agent="helpdesk", manifest_hash=manifest.hash, dataset_hash="d", target_hash="t",
            cases=100, started_at=at, updated_at=at,
        )
    )  # fmt: skip
    gate = GateResult(
        eval="tool_selection", title="Tool selection", owner="finance",
        evaluator="tool_selection", minimum=0.98, score=score, applicable=100,
        passed=int(score * 100), failed=100 - int(score * 100), skipped=0, errors=0,
        status="passed" if score >= 0.98 else "failed",
    )  # fmt: skip
    verdict = "passed" if score >= 0.98 else "failed"
    store.finish_run(run_id, verdict=verdict, summary={"gates": [gate.to_dict()]}, cases_done=100)
    return run_id


async def test_the_evals_page_charts_gate_scores_over_runs(pages: Pages, tmp_path: Path) -> None:
    gates = tmp_path / "gates.yaml"
    for day, score in enumerate([0.97, 0.99, 0.985]):
        last = store_eval(pages.api.db, gates, score=score, at=NOW - (3 - day) * 86_400)
    viewer = await pages.login("globex-viewer")
    page = await viewer.get("/console/evals")
    assert page.status_code == 200, page.text
    assert svgs(page.text) == 1
    assert "payments · golden" in page.text
    assert "tool_selection: 99%" in page.text  # a point's tooltip
    assert "regressed" in page.text  # 0.985 after 0.99
    report = await viewer.get(f"/console/evals/{last}")
    assert report.status_code == 200, report.text
    assert "98.5%" in report.text
    assert "Tool selection" in report.text
    missing = await viewer.get("/console/evals/ev_nope")
    assert missing.status_code == 404


async def test_the_metrics_dashboard_charts_runs_and_links_firing_alerts_to_the_runbook(
    pages: Pages,
) -> None:
    for n in range(3):
        seed_run(pages.api.db, f"run_{n}", tenant="acme", created_at=NOW - 3600 * (n + 1))
    seed_run(pages.api.db, "run_globex", tenant="globex", created_at=NOW - 600)
    viewer = await pages.login("acme-viewer")
    page = await viewer.get("/console/metrics")
    assert page.status_code == 200, page.text
    assert svgs(page.text) == 5
    for title in ("Run latency percentiles", "Approval rate", "Cost per session",
                  "Tool success rate by tool"):  # fmt: skip
        assert title in page.text
    assert "1 alert(s) firing" in page.text
    assert 'href="#runbook-approval-rate-low"' in page.text
    assert 'id="runbook-approval-rate-low"' in page.text
    assert re.search(r"<dt>Runs</dt><dd>3</dd>", page.text)  # acme's runs, not globex's
    week = await viewer.get("/console/metrics?window=7d")
    assert "Cost per day" in week.text
    bad = await viewer.get("/console/metrics?window=1y")
    assert bad.status_code == 422


async def test_without_a_matrix_the_capabilities_page_says_how_to_get_one(
    db: Database,
) -> None:
    async for served in serve(db):
        made = Pages(api=served)
        viewer: Session = await made.login("acme-viewer")
        page = await viewer.get("/console/capabilities")
        assert page.status_code == 503
        assert "--matrix" in page.text
        for client in made.clients:
            await client.aclose()
