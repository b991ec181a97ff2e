"""The hot-path profiler: what it counts, and that it runs (tiny) when py-spy is installed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.bench.conftest import load_bench

profile = load_bench("profile_step_overhead")

STACKS = [
    "thread (1): MainThread;<module> (x.py:1);execute_run (earned/runtime/_runner.py:30);"
    "RunStore.finish (earned/store/_runs.py:309);do_commit (sqlalchemy/engine/default.py:1) 6",
    "thread (1): MainThread;<module> (x.py:1);execute_run (earned/runtime/_runner.py:30);"
    "Redactor.find (earned/redaction/_redactor.py:197) 2",
    "thread (2): dbos-executor-_0;Thread.run (threading.py:982);"
    "record_operation_result (dbos/_sys_db.py:10) 2",
    "thread (3): earned-span-writer;Thread.run (threading.py:982);"
    "SpanStore._run (earned/store/_spans.py:232) 90",  # waiting on its queue: not busy
    "thread (1): MainThread;<module> (x.py:1);EpollSelector.select (selectors.py:468) 50",
    "thread (1): MainThread;<module> (x.py:1);Engine.launch (earned/runtime/_engine.py:200);"
    "Database.upgrade (earned/store/_database.py:150) 4",  # starting up: counted apart
    "thread (4): earned-dbos_0;DBOS._destroy (dbos/_dbos.py:700) 1",
]


def test_only_busy_samples_count_and_shares_add_up_by_package() -> None:
    report = profile.analyse(STACKS, top=10)
    assert (report["busy_samples"], report["startup_samples"]) == (10, 5)
    assert dict(report["by_package"]) == {"sqlalchemy": 0.6, "earned.redaction": 0.2, "dbos": 0.2}
    assert dict(report["by_thread"]) == {"MainThread": 0.8, "dbos-executor": 0.2}
    inclusive = dict(report["inclusive"])
    assert inclusive["execute_run (earned/runtime/_runner.py)"] == 0.8
    assert inclusive["RunStore.finish (earned/store/_runs.py)"] == 0.6
    assert "<module> (x.py)" not in inclusive  # the benchmark's own plumbing is left out


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("py-spy") is None,
    reason="py-spy is not installed: it comes with the bench extra (pip install -e '.[bench]', "
    "which the dev extra includes)",
)
def test_the_profiler_samples_a_real_durable_run(tmp_path: Path) -> None:
    out = tmp_path / "profile.json"
    args = ["--iterations", "10", "--rate", "200", "--top", "1000", "--out", str(out)]
    try:
        report = profile.main(args)
    except SystemExit as exc:
        if "permission" in str(exc).lower():  # e.g. macOS, where py-spy needs root
            pytest.skip(f"py-spy may not sample processes here: {exc}")
        raise
    assert json.loads(out.read_text()) == report
    assert report["busy_samples"] > 0
    assert report["startup_samples"] > 0  # launching the engine, counted apart
    # the agent's runs are sampled, apart from start-up
    assert any(frame.startswith("execute_run") for frame, _ in report["inclusive"])
