"""The shadow and replay benchmark runs (tiny here; docs/replay.md has the real figures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench.conftest import load_bench


@pytest.mark.slow
def test_a_tiny_run_reports_agreement_and_replays_every_recorded_run_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EARNED_DATA_KEY_FILE", str(tmp_path / "data.key"))
    bench = load_bench("bench_replay")
    out = tmp_path / "replay.json"
    report = bench.main(["--runs", "3", "--shadow-cases", "4", "--shadow-limit", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    assert report["shadow_test"]["cases"] == 4
    assert report["shadow_test"]["executed_writes"] == 0
    assert report["shadow_test"]["order_db_untouched"] is True
    assert report["shadow_all"] is None
    replay = report["replay"]
    assert (replay["recorded"], replay["identical"]) == (3, 3)
    assert replay["refunds_after_replay"] == replay["refunds_before_replay"]
