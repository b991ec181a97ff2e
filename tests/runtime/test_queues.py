"""Submitted runs wait in their agent's queue; workers take them within the limits."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from earned.cli import main

ROOT = Path(__file__).resolve().parents[2]


def submit_and_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *worker_options: str
) -> tuple[list[str], list[tuple[float, float]], str]:
    url = f"sqlite:///{tmp_path}/q.db"
    log = tmp_path / "queue.log"
    run_ids = []
    for i in range(4):
        code = main(
            [
                "run",
                "tests.runtime.queue_agent:AGENT",
                "--text",
                f"job{i}",
                "--tenant",
                "acme",
                "--submit",
                "--database",
                url,
                "--json",
            ]
        )
        out, _ = capsys.readouterr()
        assert code == 0
        run_ids.append(json.loads(out)["run_id"])
    assert main(["runs", "list", "--status", "pending", "--database", url, "--json"]) == 0
    assert {r["run_id"] for r in json.loads(capsys.readouterr()[0])} == set(run_ids)
    worker = subprocess.run(
        [
            sys.executable,
            "-m",
            "earned.cli",
            "worker",
            "tests.runtime.queue_agent:AGENT",
            "--database",
            url,
            "--concurrency",
            "4",
            *worker_options,
            "--exit-when-idle",
            "--json",
        ],
        cwd=ROOT,
        env={**os.environ, "EARNED_QUEUE_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert worker.returncode == 0, worker.stderr
    assert json.loads(worker.stdout)["finished_runs"] == 4
    intervals = sorted(
        (e["start"], e["end"]) for e in map(json.loads, log.read_text().splitlines())
    )
    return run_ids, intervals, url


def overlapping(intervals: list[tuple[float, float]]) -> bool:
    return any(b_start < a_end for (_, a_end), (b_start, _) in itertools.pairwise(intervals))


@pytest.mark.slow
def test_submitted_runs_are_run_by_a_worker_one_tenant_at_a_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ids, intervals, url = submit_and_work(tmp_path, capsys, "--tenant-concurrency", "1")
    assert len(intervals) == 4
    assert not overlapping(intervals)  # one tenant, tenant concurrency 1
    assert main(["runs", "list", "--status", "completed", "--database", url, "--json"]) == 0
    assert {r["run_id"] for r in json.loads(capsys.readouterr()[0])} == set(run_ids)


@pytest.mark.slow
def test_without_a_tenant_limit_a_worker_runs_them_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, intervals, _ = submit_and_work(tmp_path, capsys)
    assert overlapping(intervals)  # the check above can fail: here it does
