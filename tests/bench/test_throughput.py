"""The throughput benchmark runs (tiny here; bench/README.md has the real figures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench.conftest import load_bench


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_serve_every_submitted_run_and_the_rate_is_reported(
    tmp_path: Path, postgres_server_url: str
) -> None:
    bench = load_bench("bench_throughput")
    out = tmp_path / "throughput.json"
    args = ["--runs", "6", "--workers", "2", "--postgres", postgres_server_url]
    report = bench.main([*args, "--timeout", "300", "--out", str(out)])
    assert json.loads(out.read_text()) == report
    [row] = report["results"]
    assert (row["workers"], row["runs"]) == (2, 6)
    assert sum(row["runs_by_worker"].values()) == 6  # each run ran once, on one of them
    assert set(row["runs_by_worker"]) <= {"bench-w0", "bench-w1"}
    assert row["runs_per_s"] > 0
