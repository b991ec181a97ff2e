"""Reports: a terminal table, JSON, and HTML with the failing cases and their traces."""

from __future__ import annotations

import io

from rich.console import Console

from earned.evals import EvalRunner, EvalStore, load_report, render_html, render_report
from earned.runtime import RunContext, Workflow
from tests.evals.test_runner import BAD_CASES, _target


async def test_the_terminal_report_has_gates_unmet_words_and_failing_cases(
    sqlite_store: EvalStore,
) -> None:
    report = await EvalRunner(sqlite_store).run(_target(BAD_CASES))
    buffer = io.StringIO()
    render_report(report, Console(file=buffer, width=200, color_system=None))
    text = buffer.getvalue()
    assert f"judged against manifest {report.manifest.manifest_hash}" in text
    assert "recommend_refund / golden  FAILED  5 cases, 1 failing" in text
    assert "safe refund recommendation rate 66.7% < 98% minimum (Product owner)" in text
    assert "approves_late (completed" in text
    assert "billing 100.0%" in text  # per class


async def test_json_has_every_gate_and_traces_only_when_asked(sqlite_store: EvalStore) -> None:
    report = await EvalRunner(sqlite_store).run(_target(BAD_CASES))
    data = report.to_dict()
    assert data["schema_version"] == 1
    assert [g["eval"] for g in data["gates"]] == [
        "classification",
        "citation",
        "refund_safety",
        "tool_selection",
    ]
    [failing] = data["failing_cases"]
    assert "trace" not in failing
    traced = load_report(sqlite_store, report.run.eval_run_id, traces=True).to_dict(traces=True)
    assert traced["failing_cases"][0]["trace"][0]["kind"] == "run"
    assert "failing_cases" not in report.to_dict(cases=False)


async def test_the_html_report_escapes_what_the_agent_wrote(sqlite_store: EvalStore) -> None:
    async def flow(ctx: RunContext, text: str) -> dict[str, str]:
        return {"class": "<script>alert(1)</script>"}

    agent = Workflow("rude", flow)
    cases = [{"id": "c<1>", "input": "x", "expected_class": "billing"}]
    report = await EvalRunner(sqlite_store).run(_target(cases, agent=agent))
    page = render_html([load_report(sqlite_store, report.run.eval_run_id, traces=True)])
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "c&lt;1&gt;" in page
    assert report.manifest.manifest_hash in page
