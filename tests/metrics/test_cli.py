"""`earned metrics` and `earned alerts check|rules`: tables with thresholds, JSON, exit codes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from earned.store import Database
from tests.cli_runner import run
from tests.metrics.data import add_run, add_spans, tool_call


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EARNED_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "250")


@pytest.fixture
def failing_tool(db: Database) -> str:
    """A tool failing 3 calls in 10 over the last minutes (70%), and one healthy tool."""
    now = time.time()
    calls = [tool_call(f"ok_{i}", "get_order", at=now - 60) for i in range(7)]
    calls += [tool_call(f"bad_{i}", "get_order", at=now - 60, status="error",
                        error_type="TransientToolError") for i in range(3)]  # fmt: skip
    calls += [tool_call(f"s_{i}", "search", at=now - 60) for i in range(10)]
    add_spans(db, *calls)
    for i in range(3):
        add_run(db, f"run_{i}", at=now - 120, cost=0.25)
    return db.url


def test_metrics_prints_a_table_per_family_with_thresholds(
    capsys: pytest.CaptureFixture[str], failing_tool: str
) -> None:
    code, out, _ = run(capsys, "metrics", "--by", "tool", "--database", failing_tool)
    assert code == 0
    for title in ("tool metrics", "tool errors"):
        assert title in out
    line = next(ln for ln in out.splitlines() if "get_order" in ln and "tool_success_rate" in ln)
    assert "70.0%" in line
    assert "< 95.0% (5m)" in line
    assert "BREACHED" in line
    line = next(ln for ln in out.splitlines() if "search" in ln and "tool_success_rate" in ln)
    assert "100.0%" in line
    assert "BREACHED" not in line
    assert "not shown, they cannot be cut this way" in out  # run metrics have no tool
    code, out, _ = run(capsys, "metrics", "--window", "24h", "--database", failing_tool)
    assert ("cost metrics" in out, "user metrics" in out) == (True, True)


def test_metrics_json_carries_values_and_thresholds(
    capsys: pytest.CaptureFixture[str], failing_tool: str
) -> None:
    code, out, _ = run(
        capsys, "metrics", "--tool", "get_order", "--window", "5m", "--json",
        "--database", failing_tool,
    )  # fmt: skip
    data = json.loads(out)
    assert (code, data["window"], data["where"]) == (0, "5m", {"tool": "get_order"})
    success = next(m for m in data["metrics"] if m["metric"] == "tool_success_rate")
    assert (success["value"], success["samples"], success["unit"]) == (0.7, 10, "ratio")
    assert success["alerts"] == [
        {"rule": "tool-success-rate", "op": "<", "threshold": 0.95, "baseline": None,
         "window": "5m", "min_samples": 10, "breached": True}
    ]  # fmt: skip


def test_alerts_check_exits_1_and_prints_the_runbook_when_an_alert_fires(
    capsys: pytest.CaptureFixture[str], failing_tool: str
) -> None:
    code, out, _ = run(capsys, "alerts", "check", "--database", failing_tool)
    assert code == 1
    assert "CRITICAL tool-success-rate" in out
    assert "tool_success_rate for tool=get_order is 70.0%, below 95.0% over 5m" in out
    assert "likely cause: External API down" in out
    assert "response: Check API status pages, activate fallback tools" in out
    assert "WARNING new-error-type" in out  # TransientToolError was never seen before
    assert out.index("CRITICAL") < out.index("WARNING")  # most severe first
    assert "2 alerts firing" in out
    code, out, _ = run(capsys, "alerts", "check", "--json", "--database", failing_tool)
    data = json.loads(out)
    assert (code, data["firing"]) == (1, 2)
    firing = {r["rule"]: r["runbook"]["id"] for r in data["results"] if r["status"] == "firing"}
    assert firing == {"tool-success-rate": "all-tools-failing", "new-error-type": "new-error-type"}


def test_alerts_check_exits_0_when_nothing_fires(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    code, out, _ = run(capsys, "alerts", "check", "--database", url)
    assert code == 0
    assert "no alert fires" in out
    assert "no data over 5m (0 of 10 samples needed)" in out


def test_a_bad_rules_file_exits_2_with_the_line_and_fix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "alerts.yaml"
    rules.write_text(
        "version: 1\nrules:\n  - id: slow\n    metric: tool_latency_p95\n    op: '>>'\n"
        "    threshold: 5\n    runbook: latency-spike\n"
    )
    code, _, err = run(capsys, "alerts", "check", "--rules", str(rules))
    assert code == 2
    assert f"{rules}:5: rule 'slow': unknown operator '>>'" in err
    assert "fix: valid operators: <, <=, >, >=" in err
    code, out, _ = run(capsys, "alerts", "rules", "--rules", str(rules), "--json")
    error = json.loads(out)["error"]
    assert (code, error["type"], error["details"]["line"]) == (2, "RuleFileError", 5)


def test_alerts_rules_lists_the_shipped_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "alerts", "rules")
    assert code == 0
    assert "tool_success_rate < 0.95 over 5m, per tool" in out
    assert "cost_total > 3x the mean of the previous 7 windows over 24h" in out
    code, out, _ = run(capsys, "alerts", "rules", "--json")
    assert len(json.loads(out)["rules"]) == 19


def test_bad_metrics_options_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "metrics", "--by", "user")
    assert code == 2
    assert "cannot group by 'user'; metrics are cut by agent, capability, tool, tenant" in err
    code, _, err = run(capsys, "metrics", "--window", "soon")
    assert (code, "such as 5m, 1h, 24h or 7d" in err) == (2, True)
