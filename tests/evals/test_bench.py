"""The eval-runner benchmark runs (a tiny size here; the real figures come from running it)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_eval_runner.py"


def test_the_benchmark_runs_and_writes_its_ratios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("bench_eval_runner", BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "results.json"
    code = bench.main(
        ["--cases", "12", "--latency", "0.001", "--concurrency", "1", "4", "--out", str(out)]
    )
    assert code == 0
    data = json.loads(out.read_text())
    assert [r["concurrency"] for r in data["results"]] == [1, 4]
    for row in data["results"]:
        assert row["cases_stored"] == 12
        assert row["verdict"] == "passed"
        assert row["bound_s"] == pytest.approx(12 * 0.001 / row["concurrency"], rel=1e-3)
        assert row["ratio"] > 0
    assert "ratio" in capsys.readouterr().out
