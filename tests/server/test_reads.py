"""Reading over HTTP: traces, metrics, alerts, /metrics, evals, health."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from earned.evals import EvalProject
from earned.server import ServerSettings
from earned.store import Database
from tests.review.seed import NOW, seed_run
from tests.server.conftest import Api, serve

PROJECT = Path(__file__).resolve().parents[1] / "evals" / "project"


async def test_trace_search_filters_and_counts(api: Api) -> None:
    seed_run(api.db, "ok1", created_at=NOW - 300)
    seed_run(api.db, "bad1", status="failed", created_at=NOW - 200)
    seed_run(api.db, "bad2", status="escalated", created_at=NOW - 100)
    found = (await api.get("/v1/traces?status=failed,escalated&sort=time",
                           as_="acme-viewer")).json()  # fmt: skip
    assert found["total"] == 2
    assert [t["run_id"] for t in found["traces"]] == ["bad2", "bad1"]
    tree = (await api.get("/v1/traces/bad1", as_="acme-viewer")).json()
    assert tree["run"]["status"] == "failed"
    assert tree["spans"][0]["kind"] == "run"


async def test_the_trace_export_is_redacted(api: Api) -> None:
    seed_run(api.db, "r1", input={"ticket": "mail ana@example.com"})
    document = (await api.get("/v1/traces/r1/export", as_="acme-viewer")).json()
    assert document["format"].startswith("earned.trace")
    assert "ana@example.com" not in str(document)
    otlp = await api.get("/v1/traces/r1/export?format=otlp", as_="acme-viewer")
    assert otlp.status_code == 200
    assert "resourceSpans" in otlp.json()


async def test_metrics_and_alerts_are_served(api: Api) -> None:
    seed_run(api.db, "r1", created_at=NOW - 60)
    report = (await api.get("/v1/metrics?window=1h&by=agent", as_="root")).json()
    completion = [m for m in report["metrics"] if m["metric"] == "task_completion_rate"]
    assert completion
    assert completion[0]["group"] == {"agent": "refunds"}
    scoped = (await api.get("/v1/metrics?window=1h", as_="acme-viewer")).json()
    assert scoped["where"] == {"tenant": "acme"}
    assert all(reason for reason in scoped["skipped"].values())
    alerts = (await api.get("/v1/alerts", as_="acme-viewer")).json()
    assert alerts["results"], "the shipped rules evaluate"
    assert all(r["group"].get("tenant", "acme") == "acme" for r in alerts["results"])


async def test_prometheus_metrics_need_a_token_that_sees_every_tenant(api: Api) -> None:
    seed_run(api.db, "r1", created_at=NOW - 60)
    assert (await api.client.get("/metrics")).status_code == 401
    scoped = await api.get("/metrics", as_="acme-viewer")
    assert scoped.status_code == 403
    assert "--all-tenants" in scoped.json()["error"]["fix"]
    scraped = await api.get("/metrics", as_="scraper")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    assert "earned_metrics_window_seconds 300.0" in scraped.text


@pytest.fixture
async def public_metrics(db: Database) -> AsyncIterator[Api]:
    async for served in serve(db, ServerSettings(public_metrics=True)):
        yield served


async def test_prometheus_metrics_can_be_public_when_configured(public_metrics: Api) -> None:
    assert (await public_metrics.client.get("/metrics")).status_code == 200
    assert (await public_metrics.client.get("/v1/metrics")).status_code == 401


async def test_health_and_readiness(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = (await api.client.get("/readyz")).json()
    assert ready == {"status": "ready", "checks": {"database": "ok"}}


@pytest.fixture
async def with_evals(db: Database) -> AsyncIterator[Api]:
    project = EvalProject.load(PROJECT)
    async for served in serve(db, eval_projects={project.name: project}):
        yield served


@pytest.mark.slow
async def test_an_owner_runs_evals_and_anyone_reads_them(with_evals: Api) -> None:
    api = with_evals
    projects = (await api.get("/v1/evals/projects", as_="acme-viewer")).json()
    assert projects[0]["name"] == "test_support"
    unknown = await api.post("/v1/evals/runs", as_="acme-owner",
                             json={"project": "test_support", "suite": "nope"})  # fmt: skip
    assert unknown.status_code == 400
    started = await api.post("/v1/evals/runs", as_="acme-owner",
                             json={"project": "test_support", "suite": "regression"})  # fmt: skip
    assert started.status_code == 202, started.text
    job_path = started.headers["location"]
    for _ in range(500):
        job = (await api.get(job_path, as_="acme-viewer")).json()
        if job["status"] != "running":
            break
        await asyncio.sleep(0.02)
    assert job["status"] == "completed", job
    [eval_run_id] = job["eval_run_ids"]
    runs = (await api.get("/v1/evals/runs?suite=regression", as_="acme-viewer")).json()
    assert [r["eval_run_id"] for r in runs] == [eval_run_id]
    report = (await api.get(f"/v1/evals/runs/{eval_run_id}", as_="acme-viewer")).json()
    assert report["manifest"]["hash"].startswith("sha256:")
    assert report["verdict"] in ("passed", "failed")
    history = (await api.get("/v1/evals/history", as_="acme-viewer")).json()
    assert history[0]["eval_run_id"] == eval_run_id
    missing = await api.get("/v1/evals/runs/evr_nope", as_="acme-viewer")
    assert missing.status_code == 404
