"""`earned demo`: the refund agent's whole story on a real SQLite file, and the console it serves."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from earned.rollout import RolloutStore
from earned.server import TokenStore
from earned.store import AuditLog, Database
from tests.cli_runner import run

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EARNED_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def test_the_demo_tells_the_story_and_summarises_it_as_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "demo", "--no-serve", "--json", "--sample", "12", "--shadow", "20")
    assert code == 0, out + err
    summary = json.loads(out)
    assert summary["database_url"] == "sqlite:///./.earned/earned.db"
    db = Database(f"sqlite:///{tmp_path / '.earned' / 'earned.db'}")
    # live tickets at the current stages: injected ones wait for a reviewer
    assert summary["runs_by_status"]["completed"] >= 10
    assert summary["runs_by_status"]["waiting_approval"] >= 3
    assert sum(summary["runs_by_status"].values()) == 24
    waiting = summary["approvals_waiting"]
    assert len(waiting) == summary["runs_by_status"]["waiting_approval"]
    assert {a["rule"] for a in waiting} == {"tainted-run"}
    assert all(a["approvers"] == ["reviewer"] for a in waiting)
    # submit_refund is in shadow: its refunds are simulated, never sent
    refunds = [r for r in summary["runs"] if r["rules"][-1:] == ["stage:shadow"]]
    assert refunds
    assert all("ref_simulated" in r["outcome"] for r in refunds)
    # the eval suites ran on 12 cases each, against their gates
    suites = {(s["capability"], s["suite"]): s for s in summary["evals"]["suites"]}
    assert set(suites) == {
        ("recommend_refund", "golden"),
        ("recommend_refund", "regression"),
        ("recommend_refund", "adversarial"),
        ("submit_refund", "golden"),
        ("tool_use", "tool_use"),
    }
    assert all(s["cases"] == 12 for s in suites.values())
    assert suites[("submit_refund", "golden")]["verdict"] == "passed"
    gates = summary["gates"]
    assert gates["submit_refund"]["failed"] == 0
    assert gates["submit_refund"]["passed"] >= 2
    assert set(gates) == {"recommend_refund", "submit_refund", "tool_use"}
    # shadow mode on historical tickets: agreement measured, nothing executed
    shadow = summary["shadow"]
    assert shadow["cases"] == 20
    assert shadow["executed_writes"] == 0
    assert shadow["agreement"] >= 0.9
    # every capability's next promotion judged by the real gates
    caps = {c["capability"]: c for c in summary["capabilities"]}
    assert caps["submit_refund"]["stage"] == "shadow"
    assert caps["submit_refund"]["next"] == "assist"
    unmet = [g["gate"] for g in caps["submit_refund"]["gates"] if not g["passed"]]
    assert unmet == ["time_at_stage"]  # evals passed; 30 days of shadow still to go
    assert caps["classify_ticket"]["next"] is None
    assert RolloutStore(db).state("submit_refund").stage.value == "shadow"  # type: ignore[union-attr]
    assert AuditLog(db).list(action="rollout.stage", target="submit_refund")
    # the console's address and an admin token that works
    assert summary["console_url"] == "http://127.0.0.1:8000/console/"
    assert summary["login_url"] == f"http://127.0.0.1:8000/console/login?token={summary['token']}"
    token = TokenStore(db).verify(summary["token"])
    assert (token.role, token.tenant) == ("admin", None)
    assert set(summary["seconds"]) == {"setup", "evals", "shadow", "live", "gates", "total"}
    db.close()


def test_the_demo_prints_its_tables_and_refuses_a_busy_port(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = run(capsys, "demo", "--port", str(port))
    assert code == 2  # a usage error, before any work
    assert f"127.0.0.1:{port}" in err
    assert "--port" in err
    code, out, err = run(
        capsys, "demo", "--no-serve", "--sample", "5", "--shadow", "5", "--tickets", "12"
    )
    assert code == 0, out + err
    for title in ("capability matrix refund_agent@", "eval suites against their gates",
                  "shadow mode", "live tickets at the current stages", "waiting for a reviewer",
                  "admin token (shown once): ern_", "/console/login?token=ern_"):  # fmt: skip
        assert title in out, title
    assert "unmet: time_at_stage 0.0 of 30 days" in out
    # Run outside the checkout (this test's working directory), the hints say where and on
    # which database to run.
    flat = " ".join(out.replace("│", " ").split())
    assert f"cd {ROOT} && earned serve examples.refund_agent.agent:AGENT" in flat
    assert f"export EARNED_DATABASE_URL=sqlite:///{Path.cwd() / '.earned' / 'earned.db'}" in flat


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_summary(process: subprocess.Popen[str], deadline: float) -> dict[str, Any]:
    """The JSON summary the demo prints before it serves (it keeps running)."""
    assert process.stdout is not None
    text = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        text += line
        if line.rstrip() == "}":
            return json.loads(text)
    raise AssertionError(f"no summary from the demo: {text[-2000:]}")


def test_the_demo_serves_the_console_and_its_login_link_works(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT / "src")}
    env.pop("EARNED_DATABASE_URL", None)
    command = [sys.executable, "-m", "earned.cli", "demo", "--json", "--port", str(port),
               "--sample", "5", "--shadow", "5", "--tickets", "12"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        summary = read_summary(process, time.monotonic() + 240)
        assert summary["serving"] is True
        with httpx.Client(timeout=10) as client:
            for _ in range(100):
                try:
                    client.get(f"http://127.0.0.1:{port}/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            login = client.get(summary["login_url"], follow_redirects=False)
            assert login.status_code == 303, login.text
            assert "token=" not in login.headers["location"]
            page = client.get(f"http://127.0.0.1:{port}/console/capabilities")
            assert page.status_code == 200, page.text
            assert "submit_refund" in page.text
            assert 'aria-label="stage ladder: at shadow"' in page.text
            queue = client.get(f"http://127.0.0.1:{port}/console/review")
            assert queue.status_code == 200
            waiting = summary["approvals_waiting"][0]
            assert waiting["approval_id"] in queue.text
        # the reviewer decides; the served engine resumes the run, which goes on and ends
        with httpx.Client(timeout=10) as reviewer:
            login = reviewer.get(summary["reviewer_login_url"], follow_redirects=True)
            assert "demo-reviewer · reviewer · demo" in login.text
            auth = {"Authorization": f"Bearer {summary['reviewer_token']}"}
            base = f"http://127.0.0.1:{port}"
            decided = reviewer.post(
                f"{base}/v1/approvals/{waiting['approval_id']}/approve", headers=auth, json={}
            )
            assert decided.status_code == 200, decided.text
            for _ in range(300):
                run = reviewer.get(f"{base}/v1/runs/{waiting['run_id']}", headers=auth).json()
                moved_on = waiting["approval_id"] not in run["approval_ids"]
                if run["status"] in ("completed", "escalated", "denied", "failed") or (
                    run["status"] == "waiting_approval" and moved_on  # its next write waits
                ):
                    break
                time.sleep(0.1)
            assert run["status"] in ("completed", "escalated", "waiting_approval"), run
            assert waiting["approval_id"] not in run["approval_ids"]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode in (0, 130, -signal.SIGINT), (
        process.stderr.read() if process.stderr else ""
    )


@pytest.mark.postgres
def test_the_demo_runs_on_postgresql(
    capsys: pytest.CaptureFixture[str], postgres_database: str
) -> None:
    code, out, err = run(capsys, "demo", "--no-serve", "--json", "--database", postgres_database,
                         "--sample", "5", "--shadow", "5", "--tickets", "12")  # fmt: skip
    assert code == 0, out + err
    summary = json.loads(out)
    assert summary["database_url"] == postgres_database
    assert summary["runs_by_status"]["waiting_approval"] >= 1
    assert summary["shadow"]["executed_writes"] == 0
    db = Database(postgres_database)
    assert TokenStore(db).verify(summary["reviewer_token"]).tenant == "demo"
    db.close()
