"""Agent-ops metrics from traces, alert rules with a runbook, and a Prometheus endpoint.

```python
from earned.metrics import MetricsReader, check_alerts, load_rules, prometheus_app

reader = MetricsReader(db)                           # a migrated earned.store.Database
report = reader.compute(window="1h", by=["tool"])    # every metric, per tool
alerts = check_alerts(reader, load_rules())          # seed 001's thresholds and runbook
for alert in alerts.firing:
    print(alert.message, "->", alert.runbook.response)
app.mount("/metrics", prometheus_app(db))            # for Prometheus to scrape
```

The metrics are computed in SQL from stored runs, tool-call spans, decided approvals, and
the sessions and feedback the application reports (`FeedbackStore`). docs/metrics.md
defines each one.
"""

from __future__ import annotations

from earned.metrics._alerts import AlertReport, AlertResult, AlertStatus, check_alerts
from earned.metrics._catalog import FAMILIES, METRICS, Family, MetricDef, Unit
from earned.metrics._errors import RuleFileError
from earned.metrics._feedback import FeedbackRecord, FeedbackStore, Rating, SessionRecord
from earned.metrics._format import format_value
from earned.metrics._loader import (
    default_rules,
    default_runbook,
    load_rules,
    load_rules_text,
    load_runbook,
    load_runbook_text,
)
from earned.metrics._prometheus import MetricsCollector, prometheus_app
from earned.metrics._reader import MetricsReader, MetricsReport, MetricValue
from earned.metrics._rules import (
    AlertRule,
    Baseline,
    Comparison,
    RuleSet,
    Runbook,
    RunbookEntry,
    Severity,
)
from earned.metrics._window import DIMENSIONS, Dimension, Query, format_window, parse_window

__all__ = [
    "DIMENSIONS",
    "FAMILIES",
    "METRICS",
    "AlertReport",
    "AlertResult",
    "AlertRule",
    "AlertStatus",
    "Baseline",
    "Comparison",
    "Dimension",
    "Family",
    "FeedbackRecord",
    "FeedbackStore",
    "MetricDef",
    "MetricValue",
    "MetricsCollector",
    "MetricsReader",
    "MetricsReport",
    "Query",
    "Rating",
    "RuleFileError",
    "RuleSet",
    "Runbook",
    "RunbookEntry",
    "SessionRecord",
    "Severity",
    "Unit",
    "check_alerts",
    "default_rules",
    "default_runbook",
    "format_value",
    "format_window",
    "load_rules",
    "load_rules_text",
    "load_runbook",
    "load_runbook_text",
    "parse_window",
    "prometheus_app",
]
