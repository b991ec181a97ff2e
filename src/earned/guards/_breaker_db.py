"""Breaker state in the project database (`earned_breakers`, migration 0009).

Two scopes share the table:

- `shared`: the row is the state of a breaker every worker obeys. Changes are
  compare-and-set on `generation` (`UPDATE ... WHERE generation = :seen`), so of two
  workers racing to open a breaker, or to become its half-open probe, one wins.
- `local`: per-process breakers publish their state changes here (the last one any
  process reported), so `earned breakers` and the Prometheus gauge see them, and
  `earned breakers reset` reaches them (`reset_at`, which publishing never overwrites).

`BreakerStore` is what the CLI and the metrics read: every row, and an audited reset.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from earned.errors import UserError
from earned.guards._breaker import BreakerRecord
from earned.store import AuditLog, Database
from earned.store._tables import BREAKER_SCHEMA_VERSION, breakers
from earned.store._upsert import insert_for

__all__ = ["BreakerStore", "DatabaseBackend"]

_STATE_COLUMNS = (
    "state",
    "generation",
    "opened_at",
    "retry_at",
    "probe_until",
    "calls",
    "failures",
    "reason",
    "settings",
    "updated_at",
    "updated_by",
)


def _record(row: sa.RowMapping) -> BreakerRecord:
    return BreakerRecord(
        name=row["name"],
        scope=row["scope"],
        state=row["state"],
        generation=row["generation"],
        opened_at=row["opened_at"],
        retry_at=row["retry_at"],
        probe_until=row["probe_until"],
        calls=row["calls"],
        failures=row["failures"],
        reason=row["reason"],
        reset_at=row["reset_at"],
        reset_by=row["reset_by"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        settings=row["settings"],
    )


def _values(record: BreakerRecord, clock: Callable[[], float]) -> dict[str, Any]:
    values = {column: getattr(record, column) for column in _STATE_COLUMNS}
    values["settings"] = dict(record.settings) if record.settings is not None else None
    values["updated_at"] = record.updated_at if record.updated_at is not None else clock()
    values["updated_by"] = record.updated_by or "earned"
    return values


class DatabaseBackend:
    """Breaker records of one scope in the project database."""

    blocking = True

    def __init__(
        self, db: Database, *, scope: str = "shared", clock: Callable[[], float] = time.time
    ) -> None:
        db.check_revision()
        self.db = db
        self.scope = scope
        self.clock = clock

    def load(self, name: str) -> BreakerRecord | None:
        """The stored record of `name` in this scope."""
        query = sa.select(breakers).where(breakers.c.name == name, breakers.c.scope == self.scope)
        with self.db.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _record(row) if row is not None else None

    def swap(self, expected: int, record: BreakerRecord) -> bool:
        """Store `record` if the stored generation is `expected` (0: no row yet)."""
        values = _values(record, self.clock)
        with self.db.engine.begin() as conn:
            changed = conn.execute(
                sa.update(breakers)
                .where(
                    breakers.c.name == record.name,
                    breakers.c.scope == self.scope,
                    breakers.c.generation == expected,
                )
                .values(**values)
            ).rowcount
            if changed or expected != 0:
                return bool(changed)
            inserted = conn.execute(
                insert_for(self.db.dialect, breakers)
                .values(
                    name=record.name,
                    scope=self.scope,
                    schema_version=BREAKER_SCHEMA_VERSION,
                    **values,
                )
                .on_conflict_do_nothing(index_elements=["name", "scope"])
            ).rowcount
        return bool(inserted)

    def publish(self, record: BreakerRecord) -> None:
        """Write `record` as this scope's last known state (keeps `reset_at`)."""
        values = _values(record, self.clock)
        stmt = insert_for(self.db.dialect, breakers).values(
            name=record.name, scope=self.scope, schema_version=BREAKER_SCHEMA_VERSION, **values
        )
        stmt = stmt.on_conflict_do_update(index_elements=["name", "scope"], set_=values)
        with self.db.engine.begin() as conn:
            conn.execute(stmt)


class BreakerStore:
    """Every stored breaker, and the audited reset (for the CLI and the console)."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        db.check_revision()
        self.db = db
        self.clock = clock
        self.audit = AuditLog(db, clock=clock)

    def records(self, name: str | None = None) -> list[BreakerRecord]:
        """Stored breakers (of one name, when given), by name then scope."""
        query = sa.select(breakers).order_by(breakers.c.name, breakers.c.scope)
        if name is not None:
            query = query.where(breakers.c.name == name)
        with self.db.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query).mappings()]

    def reset(self, name: str, *, actor: str, reason: str) -> list[BreakerRecord]:
        """Close the breaker `name` in every scope now; audited (`breaker.reset`).

        A shared breaker closes for every worker at once; a per-process one closes in each
        process at its next call (it sees `reset_at` newer than when it opened).
        """
        now = self.clock()
        with self.db.engine.begin() as conn:
            rows = conn.execute(sa.select(breakers).where(breakers.c.name == name)).mappings()
            before = [_record(row) for row in rows]
            if not before:
                known = sorted({r.name for r in self.records()})
                raise UserError(
                    f"no breaker {name!r} is stored; known: {', '.join(known) or '(none)'}",
                    fix="run `earned breakers` for the names (tool:NAME, model:NAME)",
                    breaker=name,
                )
            conn.execute(
                sa.update(breakers)
                .where(breakers.c.name == name)
                .values(
                    state="closed",
                    generation=breakers.c.generation + 1,
                    opened_at=None,
                    retry_at=None,
                    probe_until=None,
                    reason=f"reset by {actor}: {reason}",
                    reset_at=now,
                    reset_by=actor,
                    updated_at=now,
                    updated_by=actor,
                )
            )
            self.audit.record(
                actor,
                "breaker.reset",
                name,
                {r.scope: r.state for r in before},
                "closed",
                reason,
                connection=conn,
            )
        return self.records(name)
