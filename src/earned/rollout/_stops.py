"""Stop conditions measured from traces, approvals, review decisions and metrics.

A measure is computed over one window ending now (and, for `above_baseline`, over the
same-length windows before it). Each measure names what a capability's traffic is:
the tool calls of its tools, the approvals and review decisions filed under its name, and
the runs whose agent declares it (for metrics). Every query is one indexed SELECT, and
counts live traffic only: shadow and replay runs (`earned.rehearsals`) never trip anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from earned.metrics import MetricsReader, parse_window
from earned.rehearsals import live_runs
from earned.rollout._matrix import CapabilitySpec, StopCondition
from earned.stages import Stage
from earned.store import Database
from earned.store._tables import review_decisions, spans

__all__ = ["Measure", "StopResult", "evaluate_stop", "measure"]

#: `count: unauthorized` counts tool calls policy denied (a rule, or no rule: default deny),
#: not those a flag or a disabled stage refused.
UNAUTHORIZED = "unauthorized"
_CALLED = ("ok", "simulated", "error", "approval_required", "unknown")


@dataclass(frozen=True, kw_only=True)
class Measure:
    """A measured value with its sample size (None when nothing was measured)."""

    value: float | None
    samples: int


@dataclass(frozen=True, kw_only=True)
class StopResult:
    """One stop condition's verdict for one capability."""

    capability: str
    condition: StopCondition
    value: float | None
    samples: int
    threshold: float | None
    tripped: bool
    message: str
    baseline: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "capability": self.capability,
            "id": self.condition.id,
            "measure": _describe(self.condition),
            "value": self.value,
            "samples": self.samples,
            "threshold": self.threshold,
            "baseline": self.baseline,
            "tripped": self.tripped,
            "message": self.message,
            "window": self.condition.window,
        }


def _describe(condition: StopCondition) -> str:
    if condition.event_rate is not None:
        return f"event_rate:{condition.event_rate}"
    if condition.count is not None:
        return f"count:{condition.count}"
    if condition.review_rate is not None:
        return f"review_rate:{condition.review_rate}"
    return f"metric:{condition.metric}"


def measure(
    db: Database, spec: CapabilitySpec, condition: StopCondition, *, since: float, until: float
) -> Measure:
    """The condition's measure for the capability over `(since, until]`."""
    if condition.count is not None:
        if condition.count == UNAUTHORIZED:
            n = _count_unauthorized(db, since, until, tools=spec.tools)
        else:
            n = _count_events(db, condition.count, condition.where, since, until)
        return Measure(value=float(n), samples=n)
    if condition.event_rate is not None:
        events = _count_events(db, condition.event_rate, condition.where, since, until)
        calls = _count_spans(db, "tool_call", since, until, tools=spec.tools, status=_CALLED)
        return Measure(value=events / calls if calls else None, samples=calls)
    if condition.review_rate is not None:
        return _review_rate(db, spec.name, condition.review_rate, since, until)
    assert condition.metric is not None
    return _metric(db, spec.name, condition.metric, since, until)


def evaluate_stop(
    db: Database,
    spec: CapabilitySpec,
    condition: StopCondition,
    *,
    stage: Stage,
    clock: Callable[[], float] = time.time,
) -> StopResult:
    """Measure the condition now and say whether it tripped (and why, in words)."""
    width = parse_window(condition.window)
    until = clock()
    current = measure(db, spec, condition, since=until - width, until=until)
    base: float | None = None
    threshold = condition.above if condition.above is not None else condition.below
    if condition.above_baseline is not None:
        base = _baseline(db, spec, condition, until, width)
        threshold = None if base is None else base * condition.above_baseline
    applies = condition.stages is None or stage in condition.stages
    # A count is judged on any number of events (zero included); a rate needs samples.
    needed = 0 if condition.count is not None else condition.min_samples
    enough = current.value is not None and current.samples >= needed
    tripped = (
        applies
        and enough
        and threshold is not None
        and _crossed(condition, current.value, threshold)
    )
    return StopResult(
        capability=spec.name,
        condition=condition,
        value=current.value,
        samples=current.samples,
        threshold=threshold,
        baseline=base,
        tripped=tripped,
        message=_message(
            spec,
            condition,
            current,
            threshold,
            applies=applies,
            enough=enough,
            tripped=tripped,
            stage=stage,
        ),
    )


def _crossed(condition: StopCondition, value: float | None, threshold: float) -> bool:
    if value is None:
        return False
    if condition.below is not None:
        return value < threshold
    return value > threshold


def _baseline(
    db: Database, spec: CapabilitySpec, condition: StopCondition, until: float, width: float
) -> float | None:
    values = []
    for i in range(1, condition.baseline_windows + 1):
        m = measure(db, spec, condition, since=until - (i + 1) * width, until=until - i * width)
        if m.value is not None and m.samples >= condition.min_samples:
            values.append(m.value)
    return sum(values) / len(values) if values else None


def _message(
    spec: CapabilitySpec,
    condition: StopCondition,
    current: Measure,
    threshold: float | None,
    *,
    applies: bool,
    enough: bool,
    tripped: bool,
    stage: Stage,
) -> str:
    what = f"{_describe(condition)} over {condition.window}"
    if not applies:
        wanted = ", ".join(s.value for s in condition.stages or ())
        return f"{what}: not checked at {stage.value} (applies at {wanted})"
    if not enough:
        return (
            f"{what}: {current.samples} samples, fewer than min_samples "
            f"{condition.min_samples}: not judged"
        )
    if threshold is None:
        return f"{what}: {current.value:.4g}, no baseline yet"
    side = "below" if condition.below is not None else "above"
    verdict = "TRIPPED" if tripped else "ok"
    return f"{what}: {current.value:.4g} ({side} {threshold:.4g} trips) {verdict}"


# -- queries ------------------------------------------------------------------------------


def _count_spans(
    db: Database,
    kind: str,
    since: float,
    until: float,
    *,
    tools: tuple[str, ...],
    status: str | tuple[str, ...],
) -> int:
    if not tools:
        return 0
    statuses = (status,) if isinstance(status, str) else status
    query = sa.select(sa.func.count()).where(
        spans.c.kind == kind,
        spans.c.started_at > since,
        spans.c.started_at <= until,
        live_runs(spans.c.run_id),
        spans.c.tool.in_(tools),
        spans.c.status.in_(statuses),
    )
    with db.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _count_unauthorized(db: Database, since: float, until: float, *, tools: tuple[str, ...]) -> int:
    """Calls policy denied, leaving out what we switched off (flags, disabled stages)."""
    if not tools:
        return 0
    query = sa.select(spans.c.attributes).where(
        spans.c.kind == "policy_decision",
        spans.c.status == "deny",
        spans.c.started_at > since,
        spans.c.started_at <= until,
        live_runs(spans.c.run_id),
        spans.c.tool.in_(tools),
    )
    with db.engine.connect() as conn:
        rows = conn.execute(query).scalars().all()
    ours = ("flag:", "stage:")
    return sum(1 for a in rows if not str((a or {}).get("rule_id", "")).startswith(ours))


def _count_events(
    db: Database, name: str, where: Mapping[str, tuple[str, ...]], since: float, until: float
) -> int:
    query = sa.select(spans.c.attributes).where(
        spans.c.kind == "custom",
        spans.c.name == name,
        spans.c.started_at > since,
        spans.c.started_at <= until,
        live_runs(spans.c.run_id),
    )
    with db.engine.connect() as conn:
        rows = conn.execute(query).scalars().all()
    if not where:
        return len(rows)
    return sum(1 for attributes in rows if _matches(attributes or {}, where))


def _matches(attributes: Mapping[str, Any], where: Mapping[str, tuple[str, ...]]) -> bool:
    return all(str(attributes.get(key)) in values for key, values in where.items())


def _review_rate(db: Database, capability: str, reason: str, since: float, until: float) -> Measure:
    c = review_decisions.c
    query = sa.select(
        sa.func.count().label("all"),
        sa.func.count().filter(c.reason_code == reason).label("hits"),
    ).where(
        c.capability == capability,
        c.decided_at > since,
        c.decided_at <= until,
        live_runs(c.run_id),
    )
    with db.engine.connect() as conn:
        row = conn.execute(query).mappings().one()
    total = int(row["all"])
    return Measure(value=int(row["hits"]) / total if total else None, samples=total)


def _metric(db: Database, capability: str, name: str, since: float, until: float) -> Measure:
    report = MetricsReader(db).compute(
        [name], window=until - since, where={"capability": capability}, until=until
    )
    for value in report.values:
        if value.metric == name:
            return Measure(value=value.value, samples=value.samples)
    return Measure(value=None, samples=0)
