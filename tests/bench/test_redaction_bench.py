"""The redaction benchmark runs (tiny here; docs/redaction.md has the real figures)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bench.conftest import load_bench


def test_a_tiny_run_writes_its_rates(tmp_path: Path) -> None:
    bench = load_bench("bench_redaction")
    out = tmp_path / "redaction.json"
    report = bench.main(["--spans", "20", "--rounds", "1", "--out", str(out)])
    assert json.loads(out.read_text()) == report
    assert set(report["results"]) == {
        "span_attributes_new_values_per_s",
        "span_attributes_repeated_per_s",
        "free_text_kib_per_s",
        "free_text_texts_per_s",
    }
    assert all(rate > 0 for rate in report["results"].values())
