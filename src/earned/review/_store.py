"""The review tables: queue items (drafts, audit samples), decisions, and dataset routes.

Pending approvals are not copied here: the queue reads them from the approvals table, so a
decision made anywhere (CLI, API, Python) is seen at once. A decision made through the
queue is written here with its reason code and routes, in one transaction with the item's
status change.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

from earned.review._records import ReviewDecision
from earned.rollout import RolloutStore
from earned.rollout._enforce import capped_stage
from earned.stages import Stage
from earned.store import Database
from earned.store._runs import check_schema_version
from earned.store._tables import (
    REVIEW_SCHEMA_VERSION,
    review_decisions,
    review_items,
    review_routes,
    runs,
)
from earned.store._upsert import insert_for

__all__ = ["LiveStage", "ReviewStore", "at_stages", "live_stages", "new_decision_id"]

#: Largest page the store returns.
MAX_LIMIT = 1000
_DECISION_FIELDS = [f.name for f in fields(ReviewDecision)]


def new_decision_id() -> str:
    """A fresh decision id (`rvd_` and 20 hex digits)."""
    return f"rvd_{uuid.uuid4().hex[:20]}"


@dataclass(frozen=True, kw_only=True)
class LiveStage:
    """Which runs of a capability its live stage makes drafts.

    Those started since `since` whose own stage (None: no stage, or not a stage name) is in
    `run_stages`.
    """

    capability: str
    since: float
    run_stages: frozenset[str | None]


def live_stages(rollout: RolloutStore, wanted: Collection[str]) -> list[LiveStage]:
    """Per capability with a live stage: which runs' own stages put them at one of `wanted`.

    A run asks for a stage (or none); it runs at the live stage capped by what it asked
    (`capped_stage`, the rule the enforcement point applies).
    """
    asked: list[str | None] = [None, *(s.value for s in Stage)]
    return [
        LiveStage(
            capability=name,
            since=state.stage_since,
            run_stages=frozenset(a for a in asked if capped_stage(state.stage, a).value in wanted),
        )
        for name, state in rollout.states().items()
    ]


def _stage_in(run_stages: frozenset[str | None]) -> sa.ColumnElement[bool]:
    """Runs whose own stage is in `run_stages` (None: no stage, or not a ladder stage)."""
    parts: list[sa.ColumnElement[bool]] = []
    if None in run_stages:
        parts += [runs.c.stage.is_(None), runs.c.stage.not_in([s.value for s in Stage])]
    named = sorted(s for s in run_stages if s is not None)
    if named:
        parts.append(runs.c.stage.in_(named))
    return sa.or_(*parts) if parts else sa.false()


def at_stages(stages: Sequence[str], live: Sequence[LiveStage]) -> sa.ColumnElement[bool]:
    """Runs at one of `stages`: those the live stages decide, by them; others by their own."""
    covered = [
        sa.and_(
            runs.c.capability.is_not(None),
            runs.c.capability == item.capability,
            runs.c.created_at >= item.since,
        )
        for item in live
    ]
    if not covered:
        return runs.c.stage.in_(stages)
    by_live = [sa.and_(c, _stage_in(i.run_stages)) for c, i in zip(covered, live, strict=True)]
    by_run = sa.and_(sa.not_(sa.or_(*covered)), runs.c.stage.in_(stages))
    return sa.or_(*by_live, by_run)


def _check(row: sa.RowMapping, what: str, key: str) -> None:
    check_schema_version(
        int(row["schema_version"]), REVIEW_SCHEMA_VERSION, what=f"{what} {key!r}", key=key
    )


def _limit(limit: int) -> int:
    return min(max(limit, 1), MAX_LIMIT)


class ReviewStore:
    """Reads and writes the review tables of a migrated project database."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        db.check_revision()
        self.db = db
        self.clock = clock

    # -- items ----------------------------------------------------------------------------

    def add_items(self, rows: Iterable[dict[str, Any]]) -> list[str]:
        """Insert items that are not there yet; return the ids inserted."""
        inserted: list[str] = []
        with self.db.engine.begin() as conn:
            for row in rows:
                values = {"status": "pending", **row, "schema_version": REVIEW_SCHEMA_VERSION}
                stmt = insert_for(self.db.dialect, review_items).values(values)
                stmt = stmt.on_conflict_do_nothing(index_elements=["item_id"]).returning(
                    review_items.c.item_id
                )
                if conn.execute(stmt).first() is not None:
                    inserted.append(str(values["item_id"]))
        return inserted

    def collect_drafts(
        self,
        stage: str,
        *,
        since: float,
        live: Sequence[LiveStage] = (),
    ) -> int:
        """Make a draft item of every completed run at `stage` with an output; return how many.

        A run of a capability in `live`, started since its live stage began, is at `stage`
        when its own stage is one of the live entry's `run_stages` (a run whose stage is no
        ladder stage counts as having none); any other run when its own stage is `stage`.
        The item records `stage`.

        One INSERT ... SELECT over runs created since `since` (it reads
        `ix_earned_runs_status_created_at`), idempotent: a run already in the queue is skipped.
        """
        item_id = sa.literal("drf_") + runs.c.run_id
        source = sa.select(
            item_id.label("item_id"),
            sa.literal("draft").label("kind"),
            runs.c.run_id,
            runs.c.agent,
            runs.c.capability,
            sa.literal(stage).label("stage"),
            runs.c.tenant,
            runs.c.user_id.label("requester"),
            sa.literal("draft").label("risk"),
            runs.c.output,
            sa.literal("pending").label("status"),
            sa.func.coalesce(runs.c.ended_at, runs.c.updated_at).label("created_at"),
            sa.literal(REVIEW_SCHEMA_VERSION).label("schema_version"),
        ).where(
            runs.c.status == "completed",
            runs.c.created_at >= since,
            at_stages([stage], live),
            runs.c.output.is_not(None),
            ~sa.exists().where(review_items.c.item_id == item_id),
        )
        columns = [
            "item_id",
            "kind",
            "run_id",
            "agent",
            "capability",
            "stage",
            "tenant",
            "requester",
            "risk",
            "output",
            "status",
            "created_at",
            "schema_version",
        ]
        stmt = insert_for(self.db.dialect, review_items).from_select(columns, source)
        stmt = stmt.on_conflict_do_nothing(index_elements=["item_id"]).returning(
            review_items.c.item_id
        )
        with self.db.engine.begin() as conn:
            # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT
            return len(conn.execute(stmt).all())

    def item(self, item_id: str) -> dict[str, Any] | None:
        """One item's row, or None."""
        query = sa.select(review_items).where(review_items.c.item_id == item_id)
        with self.db.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        _check(row, "review item", item_id)
        return dict(row)

    def items(
        self,
        *,
        status: str | None = "pending",
        tenant: str | None = None,
        kinds: Sequence[str] = (),
        sample_week: str | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """Item rows matching the filters, oldest first (`tenant=None`: every tenant)."""
        query = sa.select(review_items)
        for column, value in (
            (review_items.c.status, status),
            (review_items.c.tenant, tenant),
            (review_items.c.sample_week, sample_week),
        ):
            if value is not None:
                query = query.where(column == value)
        if kinds:
            query = query.where(review_items.c.kind.in_(list(kinds)))
        query = query.order_by(review_items.c.created_at, review_items.c.item_id)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query.limit(_limit(limit))).mappings().all()
        for row in rows:
            _check(row, "review item", row["item_id"])
        return [dict(r) for r in rows]

    # -- decisions ------------------------------------------------------------------------

    def record(self, decision: ReviewDecision, *, item_status: str | None = None) -> bool:
        """Store a decision and its routes; with `item_status`, move the item from pending.

        Returns False (and stores nothing) when the item was no longer pending.
        """
        row = {**decision.to_dict(), "schema_version": REVIEW_SCHEMA_VERSION}
        row.pop("final")
        with self.db.engine.begin() as conn:
            if item_status is not None:
                moved = conn.execute(
                    sa.update(review_items)
                    .where(
                        review_items.c.item_id == decision.item_id,
                        review_items.c.status == "pending",
                    )
                    .values(
                        status=item_status,
                        decided_at=decision.decided_at,
                        decided_by=decision.reviewer,
                    )
                ).rowcount
                if moved != 1:
                    return False
            conn.execute(sa.insert(review_decisions).values(row))
            for dataset in decision.datasets:
                conn.execute(
                    sa.insert(review_routes).values(
                        decision_id=decision.decision_id,
                        dataset=dataset,
                        tenant=decision.tenant,
                        decided_at=decision.decided_at,
                        schema_version=REVIEW_SCHEMA_VERSION,
                    )
                )
        return True

    def decisions(
        self,
        *,
        item_id: str | None = None,
        reason_code: str | None = None,
        positive: bool = False,
        dataset: str | None = None,
        tenant: str | None = None,
        since: float | None = None,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[ReviewDecision]:
        """Decisions matching every filter, oldest first (`positive`: routed as positive)."""
        d = review_decisions.c
        query = sa.select(review_decisions)
        for column, value in (
            (d.item_id, item_id),
            (d.reason_code, reason_code),
            (d.tenant, tenant),
        ):
            if value is not None:
                query = query.where(column == value)
        if positive:
            dataset = "positive"
        if dataset is not None:
            routed = sa.select(review_routes.c.decision_id).where(
                review_routes.c.dataset == dataset
            )
            query = query.where(d.decision_id.in_(routed))
        if since is not None:
            query = query.where(d.decided_at >= since)
        query = query.order_by(d.decided_at, d.decision_id).limit(_limit(limit)).offset(offset)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        out: list[ReviewDecision] = []
        for row in rows:
            _check(row, "review decision", row["decision_id"])
            out.append(ReviewDecision(**{name: row[name] for name in _DECISION_FIELDS}))
        return out

    def decided_items(self, *, since: float, until: float) -> list[dict[str, Any]]:
        """Decisions in [since, until) of drafts and audits (approvals are counted elsewhere)."""
        d = review_decisions.c
        query = (
            sa.select(d.item_id, d.item_kind, d.decision, d.reviewer, d.item_created_at, d.tenant)
            .add_columns(d.decided_at)
            .where(d.decided_at >= since, d.decided_at < until, d.item_kind != "approval")
            .order_by(d.decided_at)
        )
        with self.db.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]
