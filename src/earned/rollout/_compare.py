"""The pinned versions and the canary, side by side: the run metrics of each.

Runs are attributed by what they recorded when they started: every run of a pinned
capability stores, in its `versions`, its `variant` (`pinned` or `canary`) and the label of
the versions it used (`pins`, e.g. `model:3f2a…,prompt:9b1c…`). Runs are grouped by both:
the group using today's pins is `pinned`, the group using today's canary is `canary`, and
groups that ran pins since replaced are `earlier`. A run is counted in the window it started
in; outcomes, cost and latency use the finished ones; the approval rate uses the approval
requests of the group's runs that a human decided.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from earned.rollout._resolve import pins_label
from earned.rollout._versions import Pin, VersionStore
from earned.runtime._state import FINAL_STATUSES
from earned.store import Database
from earned.store._tables import approvals, runs

__all__ = ["ArmMetrics", "VersionComparison", "compare_versions"]

#: Decisions that let the call run, and those that refused it (as `earned.metrics` counts).
_APPROVED = ("approve", "approve_edited", "approved")
_REJECTED = ("reject", "rejected")
_FINAL = sorted(FINAL_STATUSES)
#: The metrics of an arm, in the order `earned versions compare` shows them.
METRICS: tuple[tuple[str, str], ...] = (
    ("runs", "runs"),
    ("finished", "finished"),
    ("completion_rate", "completion"),
    ("escalation_rate", "escalation"),
    ("approval_rate", "approval rate"),
    ("cost_per_run", "cost / run"),
    ("latency_p95", "latency p95"),
    ("error_rate", "error rate"),
)


@dataclass(frozen=True, kw_only=True)
class ArmMetrics:
    """One group of runs (pinned, canary or earlier) and its metrics."""

    arm: str
    variant: str
    pins: str
    runs: int
    finished: int
    completion_rate: float | None
    escalation_rate: float | None
    approval_rate: float | None
    approvals: int
    cost_per_run: float | None
    latency_p95: float | None
    error_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return dict(self.__dict__)


@dataclass(frozen=True, kw_only=True)
class VersionComparison:
    """A capability's pins and canaries, and its runs' metrics per arm, over a window."""

    capability: str
    since: float
    until: float
    pins: list[Pin] = field(default_factory=list)
    arms: list[ArmMetrics] = field(default_factory=list)

    def arm(self, name: str) -> ArmMetrics | None:
        """The arm called `name` (`pinned`, `canary`), or None when it has no runs."""
        return next((a for a in self.arms if a.arm == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "capability": self.capability,
            "since": self.since,
            "until": self.until,
            "pins": [p.to_dict() for p in self.pins],
            "arms": [a.to_dict() for a in self.arms],
        }


def _ratio(part: float | None, whole: float | None) -> float | None:
    return None if not whole or part is None else float(part) / float(whole)


def _groups() -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]:
    return (
        runs.c.versions["variant"].as_string().label("variant"),
        runs.c.versions["pins"].as_string().label("pins"),
    )


def _scope(stmt: Any, capability: str, since: float, until: float) -> Any:
    """`stmt` restricted to the capability's runs on pinned versions started in the window."""
    return stmt.where(
        runs.c.capability == capability,
        runs.c.created_at >= since,
        runs.c.created_at < until,
        runs.c.versions["variant"].as_string().is_not(None),
    )


def _counts(conn: sa.Connection, capability: str, since: float, until: float) -> dict[Any, Any]:
    variant, label = _groups()
    status, count = runs.c.status, sa.func.count
    finished = status.in_(_FINAL)
    stmt = sa.select(
        variant,
        label,
        count().label("runs"),
        count().filter(finished).label("finished"),
        count().filter(status == "completed").label("completed"),
        count().filter(status == "escalated").label("escalated"),
        count().filter(status == "failed").label("failed"),
        sa.func.sum(runs.c.cost).filter(finished).label("cost"),
    ).select_from(runs)
    stmt = _scope(stmt, capability, since, until).group_by(variant.element, label.element)
    return {(r["variant"], r["pins"]): r for r in conn.execute(stmt).mappings()}


def _p95(conn: sa.Connection, capability: str, since: float, until: float) -> dict[Any, float]:
    """Nearest-rank p95 of run latency per group, computed in the database."""
    variant, label = _groups()
    elapsed = runs.c.ended_at - sa.func.coalesce(runs.c.started_at, runs.c.created_at)
    partition = [variant.element, label.element]
    ranked = _scope(
        sa.select(
            variant,
            label,
            elapsed.label("v"),
            sa.func.row_number().over(partition_by=partition, order_by=elapsed).label("rn"),
            sa.func.count().over(partition_by=partition).label("n"),
        )
        .select_from(runs)
        .where(runs.c.status.in_(_FINAL), runs.c.ended_at.is_not(None)),
        capability,
        since,
        until,
    ).subquery()
    rows = conn.execute(
        sa.select(ranked).where(ranked.c.rn == (95 * ranked.c.n + 99) // 100)
    ).mappings()
    return {(r["variant"], r["pins"]): float(r["v"]) for r in rows}


def _approvals(conn: sa.Connection, capability: str, since: float, until: float) -> dict[Any, Any]:
    variant, label = _groups()
    approved = approvals.c.decision.in_(_APPROVED)
    decided = sa.or_(approved, approvals.c.decision.in_(_REJECTED))
    stmt = sa.select(
        variant,
        label,
        sa.func.count().filter(decided).label("decided"),
        sa.func.count().filter(approved).label("approved"),
    ).select_from(approvals.join(runs, runs.c.run_id == approvals.c.run_id))
    stmt = _scope(stmt, capability, since, until).group_by(variant.element, label.element)
    return {(r["variant"], r["pins"]): r for r in conn.execute(stmt).mappings()}


def _labels(pins: list[Pin]) -> tuple[str, str | None]:
    pinned = {p.kind: p.digest for p in pins}
    if not any(p.has_canary for p in pins):
        return pins_label(pinned), None
    canary = {p.kind: (p.canary_digest or p.digest) if p.has_canary else p.digest for p in pins}
    return pins_label(pinned), pins_label(canary)


def _arm(key: tuple[str, str], pinned: str, canary: str | None) -> str:
    variant, label = key
    if variant == "pinned" and label == pinned:
        return "pinned"
    if variant == "canary" and label == canary:
        return "canary"
    return "earlier"


def compare_versions(
    db: Database, capability: str, *, window: float = 86_400.0, now: float | None = None
) -> VersionComparison:
    """The capability's pins, and the metrics of its runs per arm over the last `window` s."""
    until = time.time() if now is None else now
    since = until - window
    pins = VersionStore(db).pins(capability)
    with db.engine.connect() as conn:
        counts = _counts(conn, capability, since, until)
        p95 = _p95(conn, capability, since, until)
        decided = _approvals(conn, capability, since, until)
    pinned, canary = _labels(pins)
    arms: list[ArmMetrics] = []
    for key, row in counts.items():
        done = int(row["finished"])
        votes = decided.get(key)
        n = int(votes["decided"]) if votes is not None else 0
        arms.append(
            ArmMetrics(
                arm=_arm(key, pinned, canary),
                variant=key[0],
                pins=key[1] or "",
                runs=int(row["runs"]),
                finished=done,
                completion_rate=_ratio(row["completed"], done),
                escalation_rate=_ratio(row["escalated"], done),
                approval_rate=_ratio(votes["approved"], n) if votes is not None else None,
                approvals=n,
                cost_per_run=_ratio(row["cost"], done),
                latency_p95=p95.get(key),
                error_rate=_ratio(row["failed"], done),
            )
        )
    order = {"pinned": 0, "canary": 1, "earlier": 2}
    arms.sort(key=lambda a: (order[a.arm], -a.runs, a.pins))
    return VersionComparison(capability=capability, since=since, until=until, pins=pins, arms=arms)
