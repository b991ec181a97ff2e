"""Reviewer fatigue: approval rates near 100% and decisions getting faster.

Seed 002: reviewing every action "exhausts the reviewer within a month, after which the
review becomes rubber-stamping". This report makes that visible, per reviewer, over a
window compared with the window before it:

- `approval_rate`: approved (as is or edited) / decided, over approvals and drafts;
- `median_seconds`: the reviewer's time per decision. earned does not know when a reviewer
  opened an item, so this is the time since that reviewer's previous decision, leaving out
  gaps longer than `break_after` (a break, not a decision);
- flags: `approval_rate_near_100` (at least `min_decisions` decisions and a rate at or
  above `rate_threshold`), `time_to_decision_falling` (the median fell below `pace_drop`
  times the previous window's), and `rubber_stamping` when both hold.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import sqlalchemy as sa

from earned.metrics import parse_window
from earned.review._store import ReviewStore
from earned.store import Database
from earned.store._tables import approvals

__all__ = ["FatigueReport", "ReviewerLoad", "reviewer_fatigue"]

_APPROVED = {"approve", "approve_edited"}
_DECISIONS = {"approve", "approve_edited", "reject"}


@dataclass(frozen=True, kw_only=True)
class ReviewerLoad:
    """One reviewer's decisions in the window, against the window before."""

    reviewer: str
    decisions: int
    approved: int
    median_seconds: float | None
    median_wait_seconds: float | None
    previous_decisions: int
    previous_median_seconds: float | None
    flags: list[str] = field(default_factory=list[str])

    @property
    def approval_rate(self) -> float | None:
        """Approved / decided, or None without decisions."""
        return None if self.decisions == 0 else self.approved / self.decisions

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {**data, "approval_rate": self.approval_rate}


@dataclass(frozen=True, kw_only=True)
class FatigueReport:
    """Every reviewer's load over `[since, until)`; `flagged` lists who looks fatigued."""

    since: float
    until: float
    settings: dict[str, float]
    reviewers: list[ReviewerLoad]

    @property
    def flagged(self) -> list[ReviewerLoad]:
        """Reviewers with at least one flag."""
        return [r for r in self.reviewers if r.flags]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "since": self.since,
            "until": self.until,
            "settings": self.settings,
            "reviewers": [r.to_dict() for r in self.reviewers],
            "flagged": [r.reviewer for r in self.flagged],
        }


def _approval_decisions(
    db: Database, since: float, until: float, tenant: str | None
) -> list[dict[str, Any]]:
    c = approvals.c
    query = sa.select(
        c.approval_id.label("item_id"),
        c.decision,
        c.decided_by.label("reviewer"),
        c.created_at.label("item_created_at"),
        c.decided_at,
    ).where(c.decision.is_not(None), c.decided_at >= since, c.decided_at < until)
    if tenant is not None:
        query = query.where(c.tenant == tenant)
    with db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings().all()]


def _pace(times: list[float], break_after: float) -> float | None:
    gaps = [b - a for a, b in pairwise(times) if 0 <= b - a <= break_after]
    return statistics.median(gaps) if gaps else None


def reviewer_fatigue(
    db: Database,
    *,
    window: str | float = "7d",
    until: float | None = None,
    tenant: str | None = None,
    min_decisions: int = 20,
    rate_threshold: float = 0.98,
    pace_drop: float = 0.5,
    break_after: float = 1800.0,
    clock: Callable[[], float] = time.time,
) -> FatigueReport:
    """Per-reviewer fatigue signals over `window` ending at `until` (default now)."""
    end = clock() if until is None else until
    seconds = parse_window(window)
    since, before = end - seconds, end - 2 * seconds
    store = ReviewStore(db, clock=clock)
    rows = _approval_decisions(db, before, end, tenant)
    rows += [
        r
        for r in store.decided_items(since=before, until=end)
        if tenant is None or r["tenant"] == tenant
    ]
    grouped: dict[str, dict[bool, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row["decision"] in _DECISIONS and row["reviewer"]:
            grouped[row["reviewer"]][row["decided_at"] >= since].append(row)
    loads = [
        _load(
            name, parts[True], parts[False], min_decisions, rate_threshold, pace_drop, break_after
        )
        for name, parts in sorted(grouped.items())
    ]
    settings = {
        "window_seconds": seconds,
        "min_decisions": min_decisions,
        "rate_threshold": rate_threshold,
        "pace_drop": pace_drop,
        "break_after": break_after,
    }
    return FatigueReport(since=since, until=end, settings=settings, reviewers=loads)


def _load(
    reviewer: str,
    now_rows: list[dict[str, Any]],
    before_rows: list[dict[str, Any]],
    min_decisions: int,
    rate_threshold: float,
    pace_drop: float,
    break_after: float,
) -> ReviewerLoad:
    pace = _pace(sorted(r["decided_at"] for r in now_rows), break_after)
    previous = _pace(sorted(r["decided_at"] for r in before_rows), break_after)
    waits = [r["decided_at"] - r["item_created_at"] for r in now_rows]
    approved = sum(1 for r in now_rows if r["decision"] in _APPROVED)
    flags: list[str] = []
    if len(now_rows) >= min_decisions and approved / len(now_rows) >= rate_threshold:
        flags.append("approval_rate_near_100")
    enough = len(now_rows) >= min_decisions and len(before_rows) >= min_decisions
    if enough and pace is not None and previous is not None and pace < pace_drop * previous:
        flags.append("time_to_decision_falling")
    if len(flags) == 2:
        flags.append("rubber_stamping")
    return ReviewerLoad(
        reviewer=reviewer,
        decisions=len(now_rows),
        approved=approved,
        median_seconds=pace,
        median_wait_seconds=statistics.median(waits) if waits else None,
        previous_decisions=len(before_rows),
        previous_median_seconds=previous,
        flags=flags,
    )
