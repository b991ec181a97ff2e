"""The long chaos benchmark runs (tiny here; bench/bench_chaos.py gives the real figures)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_chaos.py"


@pytest.mark.slow
def test_the_chaos_benchmark_runs_and_reports(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_chaos", BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "chaos.json"
    assert (
        bench.main(["--runs", "4", "--kills", "1", "--backends", "sqlite", "--out", str(out)]) == 0
    )
    [result] = json.loads(out.read_text())["results"]
    assert (result["backend"], result["runs"], result["ok"]) == ("sqlite", 4, True)
