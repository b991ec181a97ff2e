"""`earned approvals`, `earned ledger` and `earned worker` from the command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from earned.approvals import ApprovalSettings
from earned.cli import main
from earned.runtime import Engine, Principal
from tests.approvals.refund_agent import AGENT, effects


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("EARNED_ROLE", raising=False)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


async def waiting_run(url: str) -> str:
    settings = ApprovalSettings(timeout=60, poll_interval=0.3)
    async with Engine([AGENT], database_url=url, approval_settings=settings) as engine:
        handle = await engine.start(
            AGENT,
            {"order_id": "ord_3"},
            stage="approval_required",
            principal=Principal(user="alice", tenant="acme"),
        )
        record = await engine.settle(handle.run_id, timeout=30)
        assert record.status == "waiting_approval"
        return handle.run_id


@pytest.mark.slow
def test_review_from_the_command_line_then_a_worker_finishes_the_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    run_id = asyncio.run(waiting_run(url))
    code, out, _ = cli(capsys, "approvals", "list", "--database", url, "--json")
    [pending] = json.loads(out)
    assert (code, pending["run_id"], pending["tool"]) == (0, run_id, "submit_refund")
    code, out, _ = cli(capsys, "approvals", "show", pending["approval_id"], "--database", url)
    assert "intended action: submit_refund(order_id='ord_3', amount=120.0)" in out
    assert "agent's reason: the order arrived damaged (policy 3.2)" in out

    code, _, err = cli(
        capsys, "approvals", "approve", pending["approval_id"], "--as", "alice", "--database", url
    )
    assert code == 2
    assert "alice requested this action and cannot approve it" in err
    code, _, err = cli(
        capsys,
        "approvals",
        "approve",
        pending["approval_id"],
        "--as",
        "bob",
        "--role",
        "viewer",
        "--database",
        url,
    )
    assert (code, "role 'viewer' may not decide" in err) == (2, True)
    code, out, _ = cli(
        capsys,
        "approvals",
        "approve",
        pending["approval_id"],
        "--as",
        "bob",
        "--database",
        url,
        "--json",
    )
    assert (code, json.loads(out)["status"]) == (0, "approved")

    code, out, _ = cli(
        capsys,
        "worker",
        "tests.approvals.refund_agent:AGENT",
        "--database",
        url,
        "--exit-when-idle",
        "--json",
    )
    assert (code, json.loads(out)["finished_runs"]) == (0, 1)
    assert len(effects()) == 1
    code, out, _ = cli(capsys, "ledger", "list", "--database", url, "--json")
    assert [e["state"] for e in json.loads(out)] == ["committed"]
    code, out, _ = cli(capsys, "approvals", "stats", "--database", url, "--json")
    assert json.loads(out)["approval_rate"] == 1.0
    code, out, _ = cli(capsys, "approvals", "list", "--status", "consumed", "--database", url)
    assert pending["approval_id"] in out


def test_bad_decisions_from_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/none.db"
    code, _, err = cli(capsys, "approvals", "approve", "apr_missing", "--database", url)
    assert (code, "no approval 'apr_missing'" in err) == (2, True)
    code, _, err = cli(
        capsys, "approvals", "approve", "apr_missing", "--args", "[1]", "--database", url
    )
    assert (code, "--args must be a JSON object" in err) == (2, True)
    code, _, err = cli(capsys, "approvals", "reject", "apr_missing", "--database", url)
    assert code == 2  # --reason is required by the parser


@pytest.mark.slow
def test_run_can_return_when_the_run_waits_for_a_human(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/detach.db"
    code, out, _ = cli(
        capsys,
        "run",
        "tests.approvals.refund_agent:AGENT",
        "--input",
        '{"order_id": "ord_4"}',
        "--stage",
        "approval_required",
        "--user",
        "alice",
        "--detach-on-approval",
        "--database",
        url,
        "--json",
    )
    waiting = json.loads(out)
    assert (code, waiting["status"]) == (6, "waiting_approval")
    code, _, _ = cli(
        capsys, "approvals", "approve", waiting["approval_id"], "--as", "bob", "--database", url
    )
    assert code == 0
    code, out, _ = cli(
        capsys,
        "worker",
        "tests.approvals.refund_agent:AGENT",
        "--database",
        url,
        "--exit-when-idle",
        "--json",
    )
    assert code == 0
    code, out, _ = cli(capsys, "runs", "show", waiting["run_id"], "--database", url, "--json")
    assert json.loads(out)["status"] == "completed"
    assert len(effects()) == 1
