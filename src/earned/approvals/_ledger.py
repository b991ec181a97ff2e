"""The idempotency ledger: every write is recorded before it runs and after.

Each side-effecting call is `intended` before it runs and `committed` after, keyed by
(run, call position, argument digest). A call found `intended` but not `committed` (the
process died in between) is `unknown`: it is reconciled through the tool's reconcile
check, never blindly repeated; a call that cannot be reconciled escalates to a human.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import sqlalchemy as sa

from earned.approvals._records import LedgerEntry
from earned.store import Database
from earned.store._runs import check_schema_version
from earned.store._tables import APPROVAL_SCHEMA_VERSION, ledger
from earned.store._upsert import insert_for

__all__ = ["Ledger"]

_FIELDS = [f.name for f in fields(LedgerEntry)]
MAX_LIMIT = 1000


def _entry(row: sa.RowMapping) -> LedgerEntry:
    check_schema_version(
        int(row["schema_version"]),
        APPROVAL_SCHEMA_VERSION,
        what="ledger entry",
        key=row["idempotency_key"],
    )
    return LedgerEntry(**{name: row[name] for name in _FIELDS})


def _by_key(key: str) -> sa.Select[Any]:
    return sa.select(ledger).where(ledger.c.idempotency_key == key)


class Ledger:
    """Record intent and outcome of every write, so a retry or a recovery never repeats one."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def begin(
        self,
        key: str,
        *,
        run_id: str,
        call_id: str,
        position: int,
        tool: str,
        risk: str,
        arguments_digest: str,
        approval_id: str | None = None,
        tenant: str | None = None,
    ) -> tuple[bool, LedgerEntry]:
        """Record the call as `intended`. Returns (True, entry) when new, else (False, existing)."""
        now = self.clock()
        stmt = (
            insert_for(self.db.dialect, ledger)
            .values(
                idempotency_key=key,
                run_id=run_id,
                call_id=call_id,
                position=position,
                tool=tool,
                risk=risk,
                arguments_digest=arguments_digest,
                state="intended",
                attempts=1,
                approval_id=approval_id,
                tenant=tenant,
                created_at=now,
                updated_at=now,
                schema_version=APPROVAL_SCHEMA_VERSION,
            )
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(ledger.c.idempotency_key)
        )
        with self.db.engine.begin() as conn:
            # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT
            created = conn.execute(stmt).first() is not None
            row = conn.execute(_by_key(key)).mappings().first()  # same transaction: one trip
        assert row is not None
        return created, _entry(row)

    def get(self, key: str) -> LedgerEntry | None:
        """The entry for this idempotency key, or None."""
        with self.db.engine.connect() as conn:
            row = conn.execute(_by_key(key)).mappings().first()
        return _entry(row) if row is not None else None

    def _move(self, key: str, allowed_from: set[str], to: str, **values: Any) -> bool:
        stmt = (
            sa.update(ledger)
            .where(ledger.c.idempotency_key == key)
            .where(ledger.c.state.in_(sorted(allowed_from)))
            .values(state=to, updated_at=self.clock(), **values)
        )
        with self.db.engine.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def commit(self, key: str, result: Any) -> bool:
        """The call ran and returned `result`."""
        return self._move(key, {"intended"}, "committed", result=result)

    def fail(self, key: str, error: dict[str, Any]) -> bool:
        """The call failed in a way that means it took no effect (a semantic error)."""
        return self._move(key, {"intended"}, "failed", error=error)

    def mark_unknown(self, key: str, error: dict[str, Any] | None = None) -> bool:
        """The outcome is unknown (a crash mid-call, a timeout on a write)."""
        return self._move(key, {"intended", "unknown"}, "unknown", error=error)

    def reconciled(self, key: str, result: Any) -> bool:
        """The reconcile check found the effect: it happened, with this result."""
        return self._move(key, {"unknown"}, "reconciled", result=result)

    def retry(self, key: str) -> bool:
        """The reconcile check found no effect: the call may run again (one more attempt)."""
        stmt = (
            sa.update(ledger)
            .where(ledger.c.idempotency_key == key)
            .where(ledger.c.state == "unknown")
            .values(state="intended", attempts=ledger.c.attempts + 1, updated_at=self.clock())
        )
        with self.db.engine.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def not_applied(self, key: str, error: dict[str, Any]) -> bool:
        """The reconcile check found no effect after a failure: the call took none."""
        return self._move(key, {"unknown"}, "failed", error=error)

    def escalate(self, key: str, error: dict[str, Any]) -> bool:
        """Nobody can tell whether the call took effect: a human must look."""
        return self._move(key, {"unknown"}, "escalated", error=error)

    def list(
        self,
        *,
        state: str | None = None,
        run_id: str | None = None,
        tool: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[LedgerEntry]:
        """Entries matching the filters, newest first."""
        query = sa.select(ledger)
        for column, value in (("state", state), ("run_id", run_id), ("tool", tool)):
            if value is not None:
                query = query.where(ledger.c[column] == value)
        query = query.order_by(ledger.c.updated_at.desc()).limit(min(max(limit, 1), MAX_LIMIT))
        with self.db.engine.connect() as conn:
            rows = conn.execute(query.offset(max(offset, 0))).mappings().all()
        return [_entry(row) for row in rows]
