"""Approval requests and their history in the project database.

Every status change is one compare-and-set UPDATE (`... WHERE status IN (...)`), written in
the same transaction as its history entry, so two deciders, or a retry and a replay, can
never both win, on SQLite or on PostgreSQL.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterable
from dataclasses import fields
from typing import Any

import sqlalchemy as sa

from earned.approvals._records import ApprovalEvent, ApprovalRequest, ApprovalStats
from earned.store import Database
from earned.store._runs import check_schema_version
from earned.store._tables import APPROVAL_SCHEMA_VERSION, approval_events, approvals
from earned.store._upsert import insert_for

__all__ = ["ApprovalStore"]

_FIELDS = [f.name for f in fields(ApprovalRequest)]
MAX_LIMIT = 1000


def _row_to_request(row: sa.RowMapping) -> ApprovalRequest:
    check_schema_version(
        int(row["schema_version"]),
        APPROVAL_SCHEMA_VERSION,
        what="approval",
        approval_id=row["approval_id"],
    )
    return ApprovalRequest(**{name: row[name] for name in _FIELDS})


class ApprovalStore:
    """Create, read, list and move approval requests; every move is recorded."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def create(self, request: ApprovalRequest) -> ApprovalRequest:
        """Insert the request unless it exists; return what is stored (idempotent)."""
        values = {**request.to_dict(), "schema_version": APPROVAL_SCHEMA_VERSION}
        stmt = insert_for(self.db.dialect, approvals).values(**values)
        stmt = stmt.on_conflict_do_nothing(index_elements=["approval_id"]).returning(
            approvals.c.approval_id
        )
        with self.db.engine.begin() as conn:
            # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT
            inserted = conn.execute(stmt).first() is not None
            if inserted:
                self._event(
                    conn,
                    request.approval_id,
                    "requested",
                    actor=request.requester,
                    details={
                        "tool": request.tool,
                        "rule_id": request.rule_id,
                        "digest": request.arguments_digest,
                    },
                )
        stored = self.get(request.approval_id)
        assert stored is not None
        return stored

    def get(self, approval_id: str) -> ApprovalRequest | None:
        """The request with this id, or None."""
        with self.db.engine.connect() as conn:
            row = (
                conn.execute(sa.select(approvals).where(approvals.c.approval_id == approval_id))
                .mappings()
                .first()
            )
        return _row_to_request(row) if row is not None else None

    def list(
        self,
        *,
        status: str | Iterable[str] | None = None,
        tenant: str | None = None,
        tool: str | None = None,
        capability: str | None = None,
        run_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[ApprovalRequest]:
        """Requests matching every given filter, oldest first (the order a queue works in)."""
        query = sa.select(approvals)
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            query = query.where(approvals.c.status.in_(statuses))
        for column, value in (
            ("tenant", tenant),
            ("tool", tool),
            ("capability", capability),
            ("run_id", run_id),
        ):
            if value is not None:
                query = query.where(approvals.c[column] == value)
        query = query.order_by(approvals.c.created_at, approvals.c.approval_id)
        query = query.limit(min(max(limit, 1), MAX_LIMIT)).offset(max(offset, 0))
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_row_to_request(row) for row in rows]

    def transition(
        self,
        approval_id: str,
        *,
        allowed_from: Iterable[str],
        to: str,
        event: str,
        actor: str | None = None,
        role: str | None = None,
        details: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
    ) -> bool:
        """Move to `to` only if the status is one of `allowed_from`; record it. True if moved."""
        stmt = (
            sa.update(approvals)
            .where(approvals.c.approval_id == approval_id)
            .where(approvals.c.status.in_(list(allowed_from)))
            .values(status=to, **(values or {}))
        )
        with self.db.engine.begin() as conn:
            moved = conn.execute(stmt).rowcount == 1
            if moved:
                self._event(conn, approval_id, event, actor=actor, role=role, details=details)
        return moved

    def record(
        self,
        approval_id: str,
        kind: str,
        *,
        actor: str | None = None,
        role: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append a history entry that changes nothing else (e.g. a refused decision)."""
        with self.db.engine.begin() as conn:
            self._event(conn, approval_id, kind, actor=actor, role=role, details=details)

    def _event(
        self,
        conn: sa.Connection,
        approval_id: str,
        kind: str,
        *,
        actor: str | None = None,
        role: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        conn.execute(
            sa.insert(approval_events).values(
                approval_id=approval_id,
                at=self.clock(),
                kind=kind,
                actor=actor,
                role=role,
                details=details or {},
                schema_version=APPROVAL_SCHEMA_VERSION,
            )
        )

    def history(self, approval_id: str) -> builtins.list[ApprovalEvent]:
        """Every recorded event of this approval, in order."""
        query = (
            sa.select(approval_events)
            .where(approval_events.c.approval_id == approval_id)
            .order_by(approval_events.c.at, approval_events.c.event_id)
        )
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            ApprovalEvent(
                approval_id=r["approval_id"],
                at=r["at"],
                kind=r["kind"],
                actor=r["actor"],
                role=r["role"],
                details=r["details"] or {},
            )
            for r in rows
        ]

    def stats(
        self,
        *,
        tool: str | None = None,
        capability: str | None = None,
        tenant: str | None = None,
        since: float | None = None,
    ) -> ApprovalStats:
        """Decision counts, approval rate and the last rejection (feeds auto-promotion)."""
        c = approvals.c
        decided = c.decision.is_not(None)
        query = sa.select(
            sa.func.count().filter(decided).label("decisions"),
            sa.func.count().filter(c.decision.in_(["approve", "approve_edited"])).label("approved"),
            sa.func.count().filter(c.decision == "reject").label("rejected"),
            sa.func.count().filter(c.decision == "approve_edited").label("edited"),
            sa.func.count().filter(c.status == "expired").label("expired"),
            sa.func.max(c.decided_at).filter(c.decision == "reject").label("last_rejection_at"),
        )
        for column, value in (("tool", tool), ("capability", capability), ("tenant", tenant)):
            if value is not None:
                query = query.where(c[column] == value)
        if since is not None:
            query = query.where(sa.or_(c.decided_at >= since, c.created_at >= since))
        with self.db.engine.connect() as conn:
            row = conn.execute(query).mappings().one()
        return ApprovalStats(
            decisions=int(row["decisions"]),
            approved=int(row["approved"]),
            rejected=int(row["rejected"]),
            edited=int(row["edited"]),
            expired=int(row["expired"]),
            last_rejection_at=row["last_rejection_at"],
        )
