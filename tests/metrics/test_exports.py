"""The public names of earned.metrics are pinned: a change to them is deliberate."""

from __future__ import annotations

import importlib
import subprocess
import sys

import earned.metrics


def test_public_names_are_pinned() -> None:
    assert sorted(earned.metrics.__all__) == [
        "AlertReport", "AlertResult", "AlertRule", "AlertStatus", "Baseline", "Comparison",
        "DIMENSIONS", "Dimension", "FAMILIES", "Family", "FeedbackRecord", "FeedbackStore",
        "METRICS", "MetricDef", "MetricValue", "MetricsCollector", "MetricsReader",
        "MetricsReport", "Query", "Rating", "RuleFileError", "RuleSet", "Runbook",
        "RunbookEntry", "SessionRecord", "Severity", "Unit", "check_alerts", "default_rules",
        "default_runbook", "format_value", "format_window", "load_rules", "load_rules_text",
        "load_runbook", "load_runbook_text", "parse_window", "prometheus_app",
    ]  # fmt: skip
    for name in earned.metrics.__all__:
        assert getattr(earned.metrics, name) is not None


def test_every_metric_has_a_family_a_unit_and_a_prometheus_name() -> None:
    for name, meta in earned.metrics.METRICS.items():
        assert meta.name == name
        assert meta.family in earned.metrics.FAMILIES
        assert meta.prometheus.startswith("earned_")
        assert meta.description
    prometheus_names = {(m.prometheus, m.quantile) for m in earned.metrics.METRICS.values()}
    assert len(prometheus_names) == len(earned.metrics.METRICS)


def test_importing_the_package_does_no_work_and_needs_no_prometheus_client() -> None:
    code = (
        "import sys; sys.modules['prometheus_client'] = None; "
        "import earned.metrics, sqlalchemy; "
        "print(sorted(k for k in sys.modules if k.startswith('prometheus')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['prometheus_client']"
    assert importlib.import_module("earned.metrics") is earned.metrics
