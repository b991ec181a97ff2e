"""`earned eval`: CI exit codes, --json everywhere, an HTML report, history, show, manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli_runner import run

PROJECT = Path(__file__).parent / "project"


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARNED_DATABASE_URL", f"sqlite:///{tmp_path / 'evals.db'}")
    monkeypatch.setenv("COLUMNS", "200")


def test_a_passing_suite_exits_0_and_says_which_manifest_judged_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "eval", "run", str(PROJECT), "--suite", "golden")
    assert code == 0
    assert "recommend_refund / golden  PASSED" in out
    assert "judged against manifest sha256:" in out
    assert "classification accuracy" in out
    assert "all release gates passed" in out
    assert "LLM judge (optional) was skipped" in out


def test_a_failing_gate_exits_1_and_names_it_in_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    html = tmp_path / "report" / "adversarial.html"
    code, out, _ = run(
        capsys, "eval", "run", str(PROJECT), "--suite", "adversarial", "--html", str(html)
    )
    assert code == 1
    assert "blocker hit: any invented citation (1 found: a_invented) (Support ops)" in out
    assert "release gates failed: recommend_refund/adversarial" in out
    page = html.read_text()
    assert "a_exception" in page
    assert "approved a refund that should be declined" in page
    assert "tool_call" in page  # the failing cases' traces


def test_json_output_carries_the_verdict_gates_and_failing_cases(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys,
        "eval",
        "run",
        str(PROJECT),
        "--suite",
        "adversarial",
        "--concurrency",
        "2",
        "--json",
    )
    data = json.loads(out)
    assert (code, data["passed"]) == (1, False)
    [report] = data["reports"]
    assert report["manifest"]["hash"].startswith("sha256:")
    assert report["verdict"] == "failed"
    assert {g["eval"]: g["status"] for g in report["gates"]}["refund_safety"] == "failed"
    assert [c["case_id"] for c in report["failing_cases"]] == ["a_exception", "a_invented"]


def test_history_show_and_manifest(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "eval", "run", str(PROJECT), "--suite", "golden", "--json")
    code, out, _ = run(capsys, "eval", "history", str(PROJECT), "--json")
    [entry] = json.loads(out)
    assert (code, entry["suite"], entry["verdict"]) == (0, "golden", "passed")
    code, out, _ = run(capsys, "eval", "history", "--suite", "golden")
    assert code == 0
    assert entry["eval_run_id"] in out
    code, out, _ = run(capsys, "eval", "show", entry["eval_run_id"], "--json")
    assert (code, json.loads(out)["eval_run_id"]) == (0, entry["eval_run_id"])
    html = tmp_path / "show.html"
    code, out, _ = run(capsys, "eval", "show", entry["eval_run_id"], "--html", str(html))
    assert code == 0
    assert "PASSED" in out
    assert html.is_file()
    code, out, _ = run(capsys, "eval", "manifest", str(PROJECT), "--json")
    refund, tools = json.loads(out)
    assert (code, refund["capability"], refund["stored"], tools["stored"]) == (
        0,
        "recommend_refund",
        True,
        False,
    )
    assert refund["versions"][0]["runs_judged"] == 1


def test_manifest_freeze_records_gates_before_any_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    gates = PROJECT / "gates" / "tool_use.yaml"
    code, out, _ = run(capsys, "eval", "manifest", str(gates))
    assert code == 0
    assert "not stored yet" in out
    code, out, _ = run(capsys, "eval", "manifest", str(gates), "--freeze", "--json")
    [data] = json.loads(out)
    assert data["stored"]
    assert data["first_seen_at"] is not None


def test_an_edited_manifest_shows_in_history_after_results(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = Path(shutil.copytree(PROJECT, tmp_path / "project"))
    assert run(capsys, "eval", "run", str(project), "--suite", "adversarial")[0] == 1
    gates = project / "gates" / "recommend_refund.yaml"
    gates.write_text(gates.read_text().replace("minimum: 92%", "minimum: 0%"))
    run(capsys, "eval", "run", str(project), "--suite", "adversarial")
    code, out, _ = run(capsys, "eval", "history", "--json")
    assert code == 0
    newest = json.loads(out)[0]
    assert any("after that run's results (failed)" in n for n in newest["notes"])
    _code, out, _ = run(
        capsys, "eval", "manifest", str(project), "--capability", "recommend_refund"
    )
    assert "after 1 result(s) under earlier versions" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--suite", "goldn"], "did you mean 'golden'"),
        (["--capability", "nope"], "no capability 'nope'"),
        (["--model", "nonsense"], "PROVIDER:MODEL"),
    ],
)
def test_bad_input_exits_2_with_the_fix(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, "eval", "run", str(PROJECT), *args)
    assert code == 2
    assert message in err


def test_errors_are_json_with_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "eval", "run", str(tmp_path), "--json")
    assert code == 2
    error = json.loads(out)["error"]
    assert error["type"] == "EvalFileError"
    assert "evals.yaml" in error["fix"]
    code, out, _ = run(capsys, "eval", "show", "eval_missing", "--json")
    assert (code, json.loads(out)["error"]["type"]) == (2, "UserError")
