"""History: scores over time, regressions against the previous run, gate edits made visible."""

from __future__ import annotations

from earned.evals import (
    EvalRunner,
    EvalStore,
    history,
    load_report,
    manifest_history,
    parse_manifest,
)
from tests.evals.test_runner import BAD_CASES, CASES, GATES, _target


async def test_a_drop_against_the_previous_run_of_the_suite_is_a_regression(
    store: EvalStore,
) -> None:
    runner = EvalRunner(store, resume=False)
    good = await runner.run(_target(CASES))
    bad = await runner.run(_target(BAD_CASES))
    newest, oldest = history(store, suite="golden")
    assert (newest.run.eval_run_id, oldest.run.eval_run_id) == (
        bad.run.eval_run_id,
        good.run.eval_run_id,
    )
    assert oldest.previous is None
    assert not oldest.regressed
    assert newest.previous is not None
    assert newest.previous.eval_run_id == good.run.eval_run_id
    assert newest.regressions == (
        "verdict passed -> failed",
        "safe refund recommendation rate 100.0% -> 66.7%",
    )
    assert newest.scores["refund_safety"] == 2 / 3
    assert any(n.startswith("dataset changed") for n in newest.notes)
    assert newest.to_dict()["regressed"] is True


async def test_a_tolerance_forgives_small_drops_but_not_a_gate_that_now_fails(
    sqlite_store: EvalStore,
) -> None:
    runner = EvalRunner(sqlite_store, resume=False)
    await runner.run(_target(CASES))
    await runner.run(_target(BAD_CASES))
    [newest, _] = history(sqlite_store, tolerance=0.5)
    assert newest.regressions == (
        "verdict passed -> failed",
        "safe refund recommendation rate gate passed -> failed",
    )


async def test_editing_gates_after_seeing_results_shows_in_the_history(store: EvalStore) -> None:
    runner = EvalRunner(store, resume=False)
    failed = await runner.run(_target(BAD_CASES))
    assert not failed.passed
    looser = parse_manifest(
        GATES.replace(
            "minimum: 98%\n    blockers:\n      - any: incorrect_approval", "minimum: 50%"
        ).replace("        where: {amount: {gt: 50}}\n", ""),
        source="gates/recommend_refund.yaml",
    )
    passed = await runner.run(_target(BAD_CASES, manifest=looser))
    assert passed.passed
    note = next(n for n in passed.notes if n.startswith("gates changed"))
    assert failed.run.eval_run_id in note
    assert "after that run's results (failed)" in note
    [newest, _] = history(store)
    assert note in newest.notes
    first, second = manifest_history(store, "recommend_refund")
    assert (first.edited_after_results, second.edited_after_results) == (False, True)
    assert [r.eval_run_id for r in second.results_before] == [failed.run.eval_run_id]
    assert (first.runs_judged, second.runs_judged) == (1, 1)
    assert second.to_dict()["results_before"][0]["verdict"] == "failed"


async def test_a_stored_report_is_shown_as_it_was_judged(sqlite_store: EvalStore) -> None:
    runner = EvalRunner(sqlite_store)
    report = await runner.run(_target(BAD_CASES))
    again = load_report(sqlite_store, report.run.eval_run_id, traces=True)
    assert again.unmet == report.unmet
    assert again.manifest.manifest_hash == report.manifest.manifest_hash
    assert again.to_dict(cases=False) == report.to_dict(cases=False)
    [failing] = again.failing_cases
    assert failing.trace
    assert failing.trace[0]["kind"] == "run"
