"""Alert rule and runbook files: the shipped defaults, and mistakes reported by line with a fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from earned.metrics import (
    RuleFileError,
    default_rules,
    default_runbook,
    load_rules,
    load_rules_text,
    load_runbook_text,
)

#: Seed 001's alert thresholds, as the shipped rules encode them.
SEED_THRESHOLDS = {
    "tool-success-rate": ("tool_success_rate", "<", 0.95, "5m"),
    "tool-latency-p95": ("tool_latency_p95", ">", 5, "5m"),
    "tool-calls-per-run": ("tool_calls_per_run_max", ">", 15, "1h"),
    "new-error-type": ("new_error_types", ">", 0, "1h"),
    "task-completion-rate": ("task_completion_rate", "<", 0.80, "1h"),
    "turns-to-completion": ("turns_to_completion_avg", ">", 6, "24h"),
    "approval-rate-low": ("approval_rate", "<", 0.60, "24h"),
    "approval-rate-high": ("approval_rate", ">", 0.98, "7d"),
    "fallback-rate": ("fallback_rate", ">", 0.15, "1h"),
    "run-latency-p95": ("run_latency_p95", ">", 10, "1h"),
    "cost-per-session": ("cost_per_run_avg", ">", 0.50, "1h"),
    "cost-per-user-day": ("cost_per_user_day_max", ">", 5, "24h"),
    "input-tokens": ("input_tokens_avg", ">", 50_000, "1h"),
    "cost-spike": ("cost_total", ">", None, "24h"),
    "tool-api-spend": ("tool_api_cost", ">", None, "24h"),
    "daily-active-users": ("daily_active_users", "<", None, "7d"),
    "session-length": ("session_turns_avg", "<", 1, "24h"),
    "repeat-usage": ("user_retention", "<", 0.30, "7d"),
    "negative-feedback": ("negative_feedback_rate", ">", 0.20, "24h"),
}

SEED_RUNBOOK = [
    ("All tool calls failing", "External API down",
     "Check API status pages, activate fallback tools"),
    ("Agent looping (>15 tool calls)", "Ambiguous user request or stale context",
     "Increase max-turns alert, review loop examples"),
    ("Approval rate drops below 60%", "Model regression or prompt drift",
     "Roll back to previous prompt version"),
    ("Cost spike (>3x daily baseline)", "Looping, new user spike, or verbose model",
     "Check per-user spend, throttle if needed"),
    ("Users reporting wrong answers", "Tool returning stale data",
     "Check cache TTLs, verify data source freshness"),
    ("Latency spike (p95 > 10s)", "Slow tool or model provider",
     "Check per-tool latency, switch to faster model tier"),
]  # fmt: skip


def test_the_shipped_rules_are_seed_001_s_thresholds() -> None:
    rules = default_rules()
    assert {r.id: (r.metric, r.op, r.threshold, r.window) for r in rules.rules} == SEED_THRESHOLDS
    baselines = {r.id: (r.baseline.windows, r.baseline.factor) for r in rules.rules if r.baseline}
    assert baselines == {
        "cost-spike": (7, 3.0),  # > 3x daily baseline
        "tool-api-spend": (7, 2.0),  # daily spend > 2x baseline
        "turns-to-completion": (1, 1.0),  # avg > 6 *and* increasing
        "daily-active-users": (1, 1.0),  # declining week over week
    }


def test_the_shipped_runbook_holds_seed_001_s_table_word_for_word() -> None:
    runbook = default_runbook()
    seed = [(e.symptom, e.likely_cause, e.response) for e in runbook.entries.values()
            if e.source == "seed 001"]  # fmt: skip
    assert seed == SEED_RUNBOOK
    used = {r.runbook for r in default_rules().rules}
    assert used == set(runbook.entries), "every runbook entry is used by a default rule"


def test_a_rules_file_names_its_runbook_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "book.yaml").write_text(textwrap.dedent("""\
        version: 1
        entries:
          - id: pager
            symptom: Something broke
            likely_cause: Unknown
            response: Page the owner
    """))  # fmt: skip
    (tmp_path / "rules.yaml").write_text(textwrap.dedent("""\
        version: 1
        runbook: book.yaml
        rules:
          - id: completion
            metric: task_completion_rate
            op: lt
            threshold: 0.9
            window: 30m
            where: {agent: refunds}
            group_by: capability
            runbook: pager
    """))  # fmt: skip
    rules = load_rules(tmp_path / "rules.yaml")
    [rule] = rules.rules
    assert (rule.op, rule.window_seconds, rule.where, rule.group_by) == (
        "<", 1800, {"agent": "refunds"}, ("capability",),
    )  # fmt: skip
    assert rules.runbook.get("pager") is not None
    assert rule.line == 4


RULE = """\
version: 1
rules:
  - id: ok-rule
    metric: tool_success_rate
    op: "<"
    threshold: 0.95
    runbook: all-tools-failing
  - id: bad-rule
{body}"""


@pytest.mark.parametrize(
    ("body", "line", "message", "fix"),
    [
        ("    metric: tool_sucess_rate\n    op: '<'\n    threshold: 1\n    runbook: cost-spike\n",
         9, "unknown metric 'tool_sucess_rate'", "did you mean 'tool_success_rate'?"),
        ("    metric: runs\n    op: '=<'\n    threshold: 1\n    runbook: cost-spike\n",
         10, "unknown operator '=<'", "valid operators: <, <=, >, >="),
        ("    metric: runs\n    op: '>'\n    threshold: 1\n    runbok: cost-spike\n",
         12, "unknown key 'runbok'", "did you mean 'runbook'?"),
        ("    metric: runs\n    op: '>'\n    threshold: 1\n    runbook: cost-spik\n",
         12, "unknown runbook entry 'cost-spik'", "did you mean 'cost-spike'?"),
        ("    metric: runs\n    op: '>'\n    runbook: cost-spike\n",
         8, "needs a `threshold`, a `baseline`, or both", "baseline: {windows: 7, factor: 3}"),
        ("    metric: runs\n    op: '>'\n    threshold: lots\n    runbook: cost-spike\n",
         11, "threshold: Input should be a valid number", "AlertRule fields"),
        ("    metric: runs\n    op: '>'\n    threshold: 1\n    window: 1 hour\n"
         "    runbook: cost-spike\n",
         12, "cannot read the window '1 hour'", "such as 5m, 1h, 24h or 7d"),
        ("    metric: runs\n    op: '>'\n    threshold: 1\n    group_by: [tool]\n"
         "    runbook: cost-spike\n",
         12, "metric 'runs' cannot be cut by 'tool'", "use one of agent, capability, tenant"),
        ("    metric: runs\n    op: '>'\n    threshold: 1\n    where: {user: u1}\n"
         "    runbook: cost-spike\n",
         12, "unknown dimension 'user'", "valid dimensions: agent, capability, tenant, tool"),
        ("    metric: runs\n    op: '>'\n    baseline: {windows: 0}\n    runbook: cost-spike\n",
         11, "baseline.windows: Input should be greater than or equal to 1", "AlertRule"),
        ("    metric: runs\n    op: '>'\n    threshold: 1\n    severity: urgent\n"
         "    runbook: cost-spike\n",
         12, "severity: Input should be 'info', 'warning' or 'critical'", "AlertRule"),
        ("    metric: runs\n    op: '>'\n    threshold: 1\n    min_samples: 0\n"
         "    runbook: cost-spike\n",
         12, "min_samples: Input should be greater than or equal to 1", "AlertRule"),
    ],
)  # fmt: skip
def test_rule_mistakes_are_reported_with_their_line_and_fix(
    body: str, line: int, message: str, fix: str
) -> None:
    with pytest.raises(RuleFileError) as info:
        load_rules_text(RULE.format(body=body), source="alerts.yaml")
    error = info.value
    assert message in error.message
    assert (error.details["path"], error.details["line"]) == ("alerts.yaml", line)
    assert fix in error.details["fix"]
    assert str(error).startswith(f"alerts.yaml:{line}: ")


def test_duplicate_ids_and_bad_documents_are_rejected() -> None:
    duplicate = RULE.format(body="    metric: runs\n    op: '>'\n    threshold: 1\n"
                                 "    runbook: cost-spike\n").replace("bad-rule", "ok-rule")  # fmt: skip
    with pytest.raises(RuleFileError, match="duplicate rule id 'ok-rule'"):
        load_rules_text(duplicate)
    with pytest.raises(RuleFileError, match="not valid YAML") as info:
        load_rules_text("version: 1\nrules:\n  - id: [unclosed\n")
    assert info.value.details["line"] == 4
    with pytest.raises(RuleFileError, match="format version 2 is newer"):
        load_rules_text("version: 2\nrules: []\n")
    with pytest.raises(RuleFileError, match="`rules` must be a list"):
        load_rules_text("version: 1\nrules: {}\n")
    with pytest.raises(RuleFileError, match="cannot read the file"):
        load_rules(Path("/nonexistent/rules.yaml"))


def test_runbook_mistakes_are_reported_with_their_line() -> None:
    with pytest.raises(RuleFileError) as info:
        load_runbook_text("version: 1\nentries:\n  - id: x\n    symptom: s\n    cause: c\n",
                          source="book.yaml")  # fmt: skip
    assert (info.value.details["line"], info.value.message) == (5, "unknown key 'cause'")
    assert "valid runbook entry keys: id, likely_cause, response" in info.value.details["fix"]
    with pytest.raises(RuleFileError, match="response: Field required") as info:
        load_runbook_text("version: 1\nentries:\n  - id: x\n    symptom: s\n    likely_cause: c\n")
    assert info.value.details["line"] == 3
