"""The trace-store benchmark runs (a tiny size here; the real figures come from running it)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_trace_store.py"


@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_the_benchmark_runs_and_writes_its_figures(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("bench_trace_store", BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "results.json"
    report = bench.main(
        ["--spans", "600", "--repeat", "2", "--database", db_url, "--out", str(out)]
    )
    assert json.loads(out.read_text()) == report
    assert (report["spans"], report["runs"]) == (600, 60)
    assert report["insert"]["span_store_per_s"] > 0
    assert report["insert"]["raw_executemany_per_s"] > 0
    worst = report["queries"]["five most expensive failures last week"]
    assert 0 < worst["rows"] <= 5
    assert "trace store: 600 spans" in capsys.readouterr().out
