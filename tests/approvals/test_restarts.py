"""Waiting for a human survives restarts, and a write is never repeated after a crash."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from earned.approvals import Approvals, Ledger
from earned.runtime._durable import DBOSNotifier
from earned.store import Database
from tests.approvals.refund_agent import effects

ROOT = Path(__file__).resolve().parents[2]


def runner(mode: str, url: str, run_id: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.approvals.runner", mode, url, run_id],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def finish(proc: subprocess.Popen[str]) -> tuple[int, Any]:
    out, err = proc.communicate(timeout=120)
    lines = out.strip().splitlines()
    return proc.returncode, (json.loads(lines[-1]) if lines else err)


def api(url: str) -> Approvals:
    db = Database(url)
    db.upgrade()
    return Approvals(db, notifier=DBOSNotifier(url))


async def wait_for_approval(approvals: Approvals, run_id: str) -> str:
    for _ in range(800):
        found = approvals.list(run_id=run_id)
        if found:
            return found[0].approval_id
        await asyncio.sleep(0.025)
    raise AssertionError("no approval was requested")


@pytest.mark.slow
def test_a_decision_made_while_no_engine_runs_is_picked_up_after_restart(database_url: str) -> None:
    code, started = finish(runner("start", database_url, "run_wait_1"))
    assert code == 0, started
    approvals = api(database_url)
    request = approvals.get(started["waiting"])
    assert request.status == "pending"
    approvals.approve(request.approval_id, actor="bob", role="reviewer")
    code, result = finish(runner("resume", database_url, "run_wait_1"))
    assert code == 0, result
    assert result["status"] == "completed"
    assert len(effects()) == 1
    assert approvals.get(request.approval_id).status == "consumed"


@pytest.mark.slow
async def test_a_crash_after_the_side_effect_is_reconciled_not_repeated(database_url: str) -> None:
    approvals = api(database_url)
    first = runner("run", database_url, "run_crash_2", EARNED_TEST_DIE_IN_TOOL="1")
    approval_id = await wait_for_approval(approvals, "run_crash_2")
    approvals.approve(approval_id, actor="bob", role="reviewer")
    code, _ = finish(first)
    assert code == -9  # killed inside submit_refund, after the refund was made
    assert len(effects()) == 1
    ledger = Ledger(Database(database_url))
    assert [e.state for e in ledger.list(run_id="run_crash_2")] == ["intended"]

    code, result = finish(runner("resume", database_url, "run_crash_2"))
    assert code == 0, result
    assert result["status"] == "completed"
    assert result["output"]["refund_id"] == "ref_ord_9"
    assert len(effects()) == 1  # reconciled through the tool's check, not called again
    assert [e.state for e in ledger.list(run_id="run_crash_2")] == ["reconciled"]
    consumed = [e for e in approvals.history(approval_id) if e.kind == "consumed"]
    assert len(consumed) == 1
