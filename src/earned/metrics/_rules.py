"""Alert rules and the runbook they link to, as validated values.

A rule compares one metric, over a window, with an absolute `threshold`, with a `baseline`
(the same metric over the previous N windows, times a factor), or with both (both must be
crossed: "average turns above 6 *and* increasing"). Files are read by `earned.metrics.
load_rules`; these models are the trust boundary behind the loader's line-numbered checks.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from earned.metrics._catalog import METRICS, MetricDef
from earned.metrics._window import Dimension, format_window, parse_window

__all__ = [
    "OPERATORS",
    "AlertRule",
    "Baseline",
    "Comparison",
    "RuleSet",
    "Runbook",
    "RunbookEntry",
    "Severity",
]

Comparison = Literal["<", "<=", ">", ">="]
Severity = Literal["info", "warning", "critical"]
#: Each comparison and what it means for `value op limit`.
OPERATORS: dict[str, str] = {
    "<": "below",
    "<=": "at or below",
    ">": "above",
    ">=": "at or above",
}


def compare(value: float, op: Comparison, limit: float) -> bool:
    """True when `value op limit` holds (the rule's condition is met)."""
    if op == "<":
        return value < limit
    if op == "<=":
        return value <= limit
    if op == ">":
        return value > limit
    return value >= limit


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Baseline(_Frozen):
    """The same metric over the `windows` windows before the current one, times `factor`."""

    windows: int = Field(default=7, ge=1, le=52)
    factor: float = Field(default=1.0, gt=0)


class RunbookEntry(_Frozen):
    """What to do when an alert fires: the seed 001 runbook's three columns."""

    id: str = Field(min_length=1)
    symptom: str = Field(min_length=1)
    likely_cause: str = Field(min_length=1)
    response: str = Field(min_length=1)
    source: str | None = None


class Runbook(_Frozen):
    """Runbook entries by id."""

    entries: dict[str, RunbookEntry]
    source: str = "<runbook>"

    def get(self, entry_id: str) -> RunbookEntry | None:
        """The entry, or None."""
        return self.entries.get(entry_id)


class AlertRule(_Frozen):
    """One alert: `metric` over `window`, compared with `threshold` and/or `baseline`."""

    id: str = Field(min_length=1)
    metric: str
    op: Comparison
    threshold: float | None = None
    baseline: Baseline | None = None
    window: str = "5m"
    where: dict[Dimension, str] = Field(default_factory=dict)
    group_by: tuple[Dimension, ...] = ()
    min_samples: int = Field(default=1, ge=1)
    severity: Severity = "warning"
    runbook: str = Field(min_length=1)
    description: str = ""
    line: int | None = None

    @model_validator(mode="after")
    def _check(self) -> AlertRule:
        if self.threshold is None and self.baseline is None:
            raise ValueError("a rule needs a threshold, a baseline, or both")
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}")
        parse_window(self.window)
        return self

    @property
    def definition(self) -> MetricDef:
        """The metric's catalog entry."""
        return METRICS[self.metric]

    @property
    def window_seconds(self) -> float:
        """The window's length in seconds."""
        return parse_window(self.window)

    def describe(self) -> str:
        """`tool_success_rate < 0.95 over 5m, per tool`."""
        parts: list[str] = []
        if self.threshold is not None:
            parts.append(f"{self.op} {self.threshold:g}")
        if self.baseline is not None:
            parts.append(
                f"{self.op} {self.baseline.factor:g}x the mean of the previous "
                f"{self.baseline.windows} window{'s' if self.baseline.windows > 1 else ''}"
            )
        text = f"{self.metric} {' and '.join(parts)} over {format_window(self.window_seconds)}"
        if self.where:
            text += " where " + ", ".join(f"{k}={v}" for k, v in sorted(self.where.items()))
        if self.group_by:
            text += ", per " + ", ".join(self.group_by)
        return text


class RuleSet(_Frozen):
    """The rules of one file and the runbook their `runbook` ids point into."""

    rules: tuple[AlertRule, ...]
    runbook: Runbook
    source: str = "<rules>"

    def for_metric(self, metric: str) -> list[AlertRule]:
        """The rules on `metric`."""
        return [r for r in self.rules if r.metric == metric]
