"""Weekly audit sampling (seed 002): a random sample of autonomous runs plus every flagged one.

"For everything else, the agent acts autonomously and a human reviews a sample. Weekly
review of 30 to 50 random runs plus all flagged failures is enough to catch drift early.
The review should be scored against an explicit rubric, not vibes."

`AuditSampler.sample(week="2026-W47", size=40)` puts into the review queue, as `audit`
items scored on the rubric:

- a random sample of `size` runs of that ISO week (Monday 00:00 UTC to the next Monday)
  that completed at an autonomous stage (`conditional_auto`, `autonomous` by default). A
  run of a capability with a live stage (the rollout state), started since that stage
  began, ran at the live stage capped by the stage it asked for, as the enforcement point
  applies it; any other run at the stage it recorded;
- every run of that week that is **flagged**: it failed, escalated or was denied, it was
  tainted by a suspected prompt injection, or its user gave it a thumbs down.

Sampling a week again adds newly flagged runs but never draws a second random sample: the
seed of the first draw is stored with its items, so the draw can be reproduced.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from earned.errors import UserError
from earned.review._store import ReviewStore, at_stages, live_stages
from earned.rollout import RolloutStore
from earned.store import Database
from earned.store._tables import feedback, runs

__all__ = ["AUTONOMOUS_STAGES", "AuditSample", "AuditSampler", "week_bounds"]

#: Stages whose runs act without a human, and so are sampled for audit.
AUTONOMOUS_STAGES: tuple[str, ...] = ("conditional_auto", "autonomous")
#: Run statuses that flag a run for audit.
FLAGGED_STATUSES: tuple[str, ...] = ("failed", "escalated", "denied")
#: The sample size seed 002 recommends (30 to 50); any size from 1 to MAX_SIZE is accepted.
DEFAULT_SIZE = 40
MAX_SIZE = 1000
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def week_bounds(week: str | None, *, now: float) -> tuple[str, float, float]:
    """(`YYYY-Www`, start, end) of an ISO week in UTC; None means the last complete week."""
    if week is None:
        today = dt.datetime.fromtimestamp(now, dt.UTC).date()
        year, number, _ = (today - dt.timedelta(days=7)).isocalendar()
        week = f"{year}-W{number:02d}"
    match = _WEEK.match(week)
    try:
        if match is None:
            raise ValueError(week)
        monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise UserError(
            f"cannot read the week {week!r}",
            week=week,
            fix="write an ISO week like 2026-W07 (year, W, two-digit week number)",
        ) from None
    start = dt.datetime.combine(monday, dt.time(), dt.UTC).timestamp()
    return week, start, start + 7 * 86400.0


@dataclass(frozen=True, kw_only=True)
class AuditSample:
    """What one week's sampling put in the queue."""

    week: str
    since: float
    until: float
    size: int
    seed: int
    candidates: int
    sampled: list[str] = field(default_factory=list[str])
    flagged: list[str] = field(default_factory=list[str])
    added: list[str] = field(default_factory=list[str])

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class AuditSampler:
    """Draws the weekly audit sample into the review queue; see the module docstring."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], float] = time.time,
        stages: Sequence[str] = AUTONOMOUS_STAGES,
    ) -> None:
        self.store = ReviewStore(db, clock=clock)
        self.rollout = RolloutStore(db, clock=clock)
        self.db = db
        self.clock = clock
        self.stages = tuple(stages)

    def sample(
        self,
        *,
        week: str | None = None,
        size: int = DEFAULT_SIZE,
        seed: int | None = None,
        tenant: str | None = None,
    ) -> AuditSample:
        """Sample one week (default: the last complete one); see the module docstring."""
        if not 1 <= size <= MAX_SIZE:
            raise UserError(
                f"an audit sample size must be between 1 and {MAX_SIZE}, got {size}",
                size=size,
                fix="seed 002 suggests 30 to 50 runs a week",
            )
        name, since, until = week_bounds(week, now=self.clock())
        existing = self.store.items(
            status=None, kinds=["audit"], sample_week=name, tenant=tenant, limit=MAX_SIZE
        )
        drawn = [r for r in existing if (r["details"] or {}).get("sampled_by") == "random"]
        flagged = self._flagged(since, until, tenant)
        candidates = self._candidates(since, until, tenant, exclude=set(flagged))
        if drawn:
            seed = int(drawn[0]["details"]["seed"])
            chosen = sorted(r["run_id"] for r in drawn)
        else:
            seed = secrets.randbits(32) if seed is None else seed
            chosen = sorted(random.Random(seed).sample(candidates, min(size, len(candidates))))
        rows = self._rows(name, chosen, flagged, seed, size)
        added = self.store.add_items(rows)
        return AuditSample(
            week=name,
            since=since,
            until=until,
            size=size,
            seed=seed,
            candidates=len(candidates),
            sampled=[f"aud_{r}" for r in chosen],
            flagged=[f"aud_{r}" for r in flagged],
            added=added,
        )

    def _scope(self, since: float, until: float, tenant: str | None) -> list[Any]:
        where: list[Any] = [runs.c.created_at >= since, runs.c.created_at < until]
        if tenant is not None:
            where.append(runs.c.tenant == tenant)
        return where

    def _flagged(self, since: float, until: float, tenant: str | None) -> dict[str, list[str]]:
        """Run ids of the week that are flagged, with why."""
        down = sa.exists().where(feedback.c.run_id == runs.c.run_id, feedback.c.rating == "down")
        query = sa.select(
            runs.c.run_id, runs.c.status, runs.c.tainted, down.label("thumbs_down")
        ).where(
            *self._scope(since, until, tenant),
            sa.or_(runs.c.status.in_(FLAGGED_STATUSES), runs.c.tainted.is_(True), down),
        )
        with self.db.engine.connect() as conn:
            rows = conn.execute(query.order_by(runs.c.run_id)).mappings().all()
        found: dict[str, list[str]] = {}
        for row in rows:
            why = [row["status"]] if row["status"] in FLAGGED_STATUSES else []
            why += ["tainted"] * bool(row["tainted"]) + ["negative_feedback"] * bool(
                row["thumbs_down"]
            )
            found[row["run_id"]] = why
        return found

    def _candidates(
        self, since: float, until: float, tenant: str | None, *, exclude: set[str]
    ) -> list[str]:
        query = sa.select(runs.c.run_id).where(
            *self._scope(since, until, tenant),
            runs.c.status == "completed",
            at_stages(self.stages, live_stages(self.rollout, set(self.stages))),
        )
        with self.db.engine.connect() as conn:
            ids = conn.execute(query.order_by(runs.c.run_id)).scalars().all()
        return [i for i in ids if i not in exclude]

    def _rows(
        self, week: str, chosen: list[str], flagged: dict[str, list[str]], seed: int, size: int
    ) -> list[dict[str, Any]]:
        wanted = [*chosen, *flagged]
        if not wanted:
            return []
        with self.db.engine.connect() as conn:
            found = conn.execute(sa.select(runs).where(runs.c.run_id.in_(wanted))).mappings()
            by_id = {row["run_id"]: row for row in found}
        now = self.clock()
        rows: list[dict[str, Any]] = []
        for run_id in wanted:
            run = by_id[run_id]
            why = flagged.get(run_id)
            rows.append(
                {
                    "item_id": f"aud_{run_id}",
                    "kind": "audit",
                    "run_id": run_id,
                    "agent": run["agent"],
                    "capability": run["capability"],
                    "stage": run["stage"],
                    "tenant": run["tenant"],
                    "requester": run["user_id"],
                    "risk": "flagged" if why else "audit",
                    "output": run["output"],
                    "flags": why or [],
                    "sample_week": week,
                    "details": {
                        "sampled_by": "flagged" if why else "random",
                        "seed": seed,
                        "size": size,
                        "run_status": run["status"],
                    },
                    "created_at": now,
                }
            )
        return rows
