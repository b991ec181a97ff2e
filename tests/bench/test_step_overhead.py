"""The step-overhead benchmark runs (tiny here; bench/README.md has the real figures)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.bench.conftest import load_bench

bench = load_bench("bench_step_overhead")


def test_rounds_rotate_so_no_configuration_always_runs_first() -> None:
    configs = ["a", "b", "c"]
    assert [bench.rotation(configs, k) for k in range(4)] == [
        ["a", "b", "c"],
        ["b", "c", "a"],
        ["c", "a", "b"],
        ["a", "b", "c"],
    ]


def test_overhead_per_step_is_measured_over_the_bare_loop_median() -> None:
    steps = bench.workload.STEPS
    rows = bench.summarise(
        {
            "bare": [0.001, 0.001, 0.003],
            "earned-sqlite": [0.001 + steps * 0.002] * 3,
            "pydantic-ai-dbos": [0.001 + steps * 0.004] * 3,
        }
    )
    assert rows["bare"]["step_overhead_ms_p50"] == pytest.approx(0.0)
    assert rows["earned-sqlite"]["step_overhead_ms_p50"] == pytest.approx(2.0)
    assert rows["earned-sqlite"]["ratio_to_pydantic_ai_dbos"] == pytest.approx(0.5)
    assert rows["earned-sqlite"]["ratio_to_pydantic_ai_dbos_p95"] == pytest.approx(0.5)
    assert rows["earned-sqlite"]["ratio_to_pydantic_ai_dbos_wal"] is None  # not measured
    assert rows["pydantic-ai-dbos"]["ratio_to_bare"] == pytest.approx(1 + steps * 4)
    bare_p95 = bench.percentile([0.001, 0.001, 0.003], 95)
    assert rows["pydantic-ai-dbos"]["ratio_to_bare_p95"] == pytest.approx(
        (0.001 + steps * 0.004) / bare_p95
    )


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(n) for n in range(1, 101)]
    assert bench.percentile(values, 50) == pytest.approx(50.5)
    assert bench.percentile(values, 95) == pytest.approx(95.05)
    assert bench.percentile([3.0], 95) == 3.0


def test_the_workload_is_eleven_steps_three_reads_and_two_writes() -> None:
    w = bench.workload
    assert (w.MODEL_CALLS, w.TOOL_CALLS, w.STEPS) == (6, 5, 11)
    assert [name for name, _ in w.SCRIPT] == [*w.READS, *w.WRITES]
    risks = {t.name: t.risk.value for t in bench.TOOLS}
    assert risks == {
        "get_order": "read",
        "get_customer": "read",
        "get_policy": "read",
        "add_note": "internal_write",
        "set_tag": "internal_write",
    }
    assert bench.bare_run() == w.FINAL


def run(tmp_path: Path, args: str, *extra: str) -> dict[str, Any]:
    out = tmp_path / "step_overhead.json"
    report = bench.main([*args.split(), "--quiet", *extra, "--out", str(out)])
    assert json.loads(out.read_text()) == report
    return report


def test_the_benchmark_runs_earned_against_the_floor_and_the_durability_floor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run(
        tmp_path,
        "--rounds 2 --iterations 2 --warmup 1",
        "--configs",
        "bare",
        "earned-inline",
        "dbos-floor",
        "earned-sqlite",
    )
    assert report["steps_per_run"] == 11
    results = report["results"]
    assert {c: r["runs"] for c, r in results.items()} == {
        "bare": 4,
        "earned-inline": 4,
        "dbos-floor": 4,
        "earned-sqlite": 4,
    }
    assert len(report["round_medians_ms"]["earned-sqlite"]) == 2
    assert results["earned-sqlite"]["step_overhead_ms_p50"] > 0
    assert results["earned-sqlite"]["ratio_to_pydantic_ai_dbos"] is None  # not measured here
    assert set(report["anchor_versions"]) == {"dbos-floor"}
    assert "step overhead: 11 steps a run" in capsys.readouterr().out


@pytest.mark.postgres
def test_the_benchmark_runs_earned_on_postgres(tmp_path: Path, postgres_server_url: str) -> None:
    report = run(
        tmp_path,
        "--rounds 1 --iterations 2 --warmup 1 --configs bare earned-postgres",
        "--postgres",
        postgres_server_url,
    )
    assert report["results"]["earned-postgres"]["runs"] == 2
    assert report["machine"]["postgres"]


@pytest.mark.slow
def test_the_anchors_run_in_their_venv_and_pydantic_ai_is_the_ratio_base(
    tmp_path: Path, bench_venv: Path
) -> None:
    anchors = [
        "pydantic-ai-dbos",
        "pydantic-ai-dbos-wal",
        "langgraph-sqlite",
        "langgraph-sqlite-sync",
    ]
    report = run(
        tmp_path,
        "--rounds 1 --iterations 2 --warmup 1",
        "--venv",
        str(bench_venv),
        "--configs",
        "bare",
        *anchors,
    )
    results = report["results"]
    assert [results[a]["runs"] for a in anchors] == [2, 2, 2, 2]
    assert results["pydantic-ai-dbos"]["ratio_to_pydantic_ai_dbos"] == pytest.approx(1.0)
    assert results["pydantic-ai-dbos-wal"]["ratio_to_pydantic_ai_dbos_wal"] == pytest.approx(1.0)
    assert set(report["anchor_versions"]) == set(anchors)


def test_a_missing_venv_names_the_script_that_makes_it(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"scripts/bench_venv\.sh"):
        run(
            tmp_path,
            "--rounds 1 --iterations 1 --configs bare langgraph-sqlite",
            "--venv",
            str(tmp_path / "none"),
        )
