"""Evaluate alert rules against the metrics: firing, ok, or no data.

A rule is evaluated per group (`group_by`), over its window ending now. A group fires when
its value crosses the threshold and/or the baseline (both, when the rule has both). A rule
reports "no data" instead of a false alarm when the window has fewer than `min_samples`
samples (no sessions, no decided approvals, ...) or when a baseline rule has no earlier
window with data to compare with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from earned.metrics._catalog import METRICS
from earned.metrics._format import format_value
from earned.metrics._reader import MetricsReader, MetricValue
from earned.metrics._rules import OPERATORS, AlertRule, RuleSet, RunbookEntry, compare
from earned.metrics._sql import Measures
from earned.metrics._window import GroupKey, Query, format_window, parse_window

__all__ = ["AlertReport", "AlertResult", "AlertStatus", "check_alerts"]

AlertStatus = Literal["firing", "ok", "no_data"]


@dataclass(frozen=True, kw_only=True)
class AlertResult:
    """One rule's verdict for one group."""

    rule: AlertRule
    status: AlertStatus
    group: dict[str, str | None]
    value: float | None
    samples: int
    limit: float | None
    baseline: float | None
    message: str
    runbook: RunbookEntry
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def firing(self) -> bool:
        """True when the alert fires."""
        return self.status == "firing"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "rule": self.rule.id,
            "metric": self.rule.metric,
            "severity": self.rule.severity,
            "status": self.status,
            "group": self.group,
            "value": self.value,
            "samples": self.samples,
            "op": self.rule.op,
            "threshold": self.rule.threshold,
            "baseline": self.baseline,
            "limit": self.limit,
            "window": self.rule.window,
            "message": self.message,
            "details": self.details,
            "runbook": self.runbook.model_dump(),
        }


@dataclass(frozen=True, kw_only=True)
class AlertReport:
    """Every rule's results at one moment."""

    at: float
    source: str
    results: list[AlertResult]

    @property
    def firing(self) -> list[AlertResult]:
        """The results that fire, most severe first."""
        order = {"critical": 0, "warning": 1, "info": 2}
        hits = [r for r in self.results if r.firing]
        return sorted(hits, key=lambda r: (order[r.rule.severity], r.rule.id))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "at": self.at,
            "rules": self.source,
            "firing": len(self.firing),
            "results": [r.to_dict() for r in self.results],
        }


def check_alerts(
    reader: MetricsReader,
    rules: RuleSet,
    *,
    until: float | None = None,
    window: str | None = None,
) -> AlertReport:
    """Evaluate every rule at `until` (default: now); `window` overrides every rule's window."""
    end = reader.now() if until is None else until
    override = parse_window(window) if window is not None else None
    results: list[AlertResult] = []
    cache: dict[tuple[str, Query], Measures] = {}
    for rule in rules.rules:
        seconds = override or rule.window_seconds
        where: dict[str, str | None] = {str(k): v for k, v in rule.where.items()}
        query = Query.build(since=end - seconds, until=end, where=where, by=rule.group_by)
        runbook = rules.runbook.get(rule.runbook)
        assert runbook is not None  # the loader checked it
        results.extend(_evaluate(reader, rule, query, runbook, cache))
    return AlertReport(at=end, source=rules.source, results=results)


def _evaluate(
    reader: MetricsReader,
    rule: AlertRule,
    query: Query,
    runbook: RunbookEntry,
    cache: dict[tuple[str, Query], Measures],
) -> list[AlertResult]:
    measured = reader.measure(rule.metric, query, cache=cache)
    current = [v for v in measured if _enough(v, rule)]
    if not current:
        most = max((v.samples for v in measured if v.value is not None), default=0)
        return [_no_data(rule, query, runbook, f"{most} of {rule.min_samples} samples needed")]
    baselines = _baselines(reader, rule, query, cache) if rule.baseline is not None else {}
    out: list[AlertResult] = []
    for value in current:
        key = tuple(value.group.get(d) for d in query.by)
        out.append(_verdict(rule, query, runbook, value, baselines.get(key)))
    return out


def _enough(value: MetricValue, rule: AlertRule) -> bool:
    return value.value is not None and value.samples >= rule.min_samples


def _baselines(
    reader: MetricsReader,
    rule: AlertRule,
    query: Query,
    cache: dict[tuple[str, Query], Measures],
) -> dict[GroupKey, float]:
    """Per group: the mean of the metric over the previous windows that have data."""
    assert rule.baseline is not None
    found: dict[GroupKey, list[float]] = {}
    for k in range(1, rule.baseline.windows + 1):
        for value in reader.measure(rule.metric, query.shifted(k), cache=cache):
            if value.value is not None and value.samples >= 1:
                key = tuple(value.group.get(d) for d in query.by)
                found.setdefault(key, []).append(value.value)
    return {key: sum(values) / len(values) for key, values in found.items()}


def _verdict(
    rule: AlertRule,
    query: Query,
    runbook: RunbookEntry,
    value: MetricValue,
    baseline: float | None,
) -> AlertResult:
    assert value.value is not None
    limits: list[float] = []
    if rule.threshold is not None:
        limits.append(rule.threshold)
    if rule.baseline is not None:
        if baseline is None:
            return _no_data(rule, query, runbook, "no earlier window to compare with", value=value)
        limits.append(rule.baseline.factor * baseline)
    crossed = all(compare(value.value, rule.op, limit) for limit in limits)
    limit = _binding(rule, limits)
    return AlertResult(
        rule=rule,
        status="firing" if crossed else "ok",
        group=value.group,
        value=value.value,
        samples=value.samples,
        limit=limit,
        baseline=baseline,
        message=_message(rule, query, value, limit, baseline, crossed),
        runbook=runbook,
        details=value.details,
    )


def _binding(rule: AlertRule, limits: list[float]) -> float:
    """The limit that decides: the strictest one a value must cross to fire."""
    return max(limits) if rule.op in (">", ">=") else min(limits)


def _message(
    rule: AlertRule,
    query: Query,
    value: MetricValue,
    limit: float,
    baseline: float | None,
    crossed: bool,
) -> str:
    unit = METRICS[rule.metric].unit
    where = _where(value.group)
    shown = format_value(value.value, unit)
    verb = OPERATORS[rule.op] if crossed else f"not {OPERATORS[rule.op]}"
    text = f"{rule.metric}{where} is {shown}, {verb} {format_value(limit, unit)}"
    if baseline is not None and rule.baseline is not None:
        text += (
            f" ({rule.baseline.factor:g}x baseline {format_value(baseline, unit)}, the mean of "
            f"the previous {rule.baseline.windows})"
        )
    return f"{text} over {format_window(query.seconds)} ({value.samples} samples)"


def _where(group: dict[str, str | None]) -> str:
    if not group:
        return ""
    return " for " + ", ".join(f"{k}={v if v is not None else '-'}" for k, v in group.items())


def _no_data(
    rule: AlertRule,
    query: Query,
    runbook: RunbookEntry,
    why: str,
    *,
    value: MetricValue | None = None,
) -> AlertResult:
    return AlertResult(
        rule=rule,
        status="no_data",
        group=value.group if value is not None else {},
        value=value.value if value is not None else None,
        samples=value.samples if value is not None else 0,
        limit=None,
        baseline=None,
        message=f"{rule.metric}{_where(value.group if value else {})}: no data over "
        f"{format_window(query.seconds)} ({why})",
        runbook=runbook,
    )
