"""An append-only audit log: who changed what, when, from what to what, and why.

Every change to what an agent may do, and every deletion of records, is written here:
trace pruning today; stage promotions, flag flips and version rollbacks as they arrive.
The log has no update and no delete: an entry, once recorded, stays.

```python
from earned.store import AuditLog

log = AuditLog(db)
log.record(
    actor="alice",
    action="retention.prune",
    target="traces",
    before={"rows": 1200},
    after={"rows": 200},
    reason="daily retention",
    details={"cutoff": 1_700_000_000.0},
)
log.list(action="retention.prune", since=time.time() - 86_400)
```

`actor` is who did it (a user, or `earned:scheduler` for automatic jobs), `action` a dotted
verb (`retention.prune`, `stage.promote`, `flag.set`), `target` what it was done to (a data
class, `capability:submit_refund`, `flag:refunds.auto`). `before`/`after`/`details` hold any
JSON value.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic_core import to_jsonable_python

from earned.errors import UserError
from earned.store._database import Database
from earned.store._runs import check_schema_version
from earned.store._tables import AUDIT_SCHEMA_VERSION, audit

__all__ = ["AuditEntry", "AuditLog"]

#: Largest page `AuditLog.list` returns.
MAX_LIMIT = 1000


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """One recorded change: who, when, what action on which target, before, after, why."""

    audit_id: int
    at: float
    actor: str
    action: str
    target: str
    before: Any = None
    after: Any = None
    reason: str | None = None
    details: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "audit_id": self.audit_id,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "details": self.details,
        }

    @classmethod
    def from_row(cls, row: sa.RowMapping) -> AuditEntry:
        """Build an entry from an `earned_audit` row; refuses rows from a newer schema."""
        check_schema_version(
            row["schema_version"],
            AUDIT_SCHEMA_VERSION,
            what=f"audit entry {row['audit_id']}",
            audit_id=row["audit_id"],
        )
        return cls(
            audit_id=row["audit_id"],
            at=row["at"],
            actor=row["actor"],
            action=row["action"],
            target=row["target"],
            before=row["before"],
            after=row["after"],
            reason=row["reason"],
            details=row["details"],
        )


def _required(name: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UserError(
            f"an audit entry needs a non-empty {name}, got {value!r}; say who did what to what "
            "(e.g. actor='alice', action='retention.prune', target='traces')",
            field=name,
            value=value,
        )
    return value.strip()


class AuditLog:
    """The `earned_audit` table: `record` appends an entry, `list` reads them back."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        """Use `db`, which must be migrated (`Database.upgrade()`); `clock` gives epoch seconds."""
        db.check_revision()
        self.db = db
        self._clock = clock

    def record(
        self,
        actor: str,
        action: str,
        target: str,
        before: Any = None,
        after: Any = None,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        *,
        connection: sa.Connection | None = None,
    ) -> AuditEntry:
        """Append one entry and return it (with its id and time).

        Pass `connection` to write the entry in the caller's transaction, so the change
        and its audit entry are committed together or not at all.
        """
        row: dict[str, Any] = {
            "at": self._clock(),
            "actor": _required("actor", actor),
            "action": _required("action", action),
            "target": _required("target", target),
            "before": to_jsonable_python(before, fallback=str),
            "after": to_jsonable_python(after, fallback=str),
            "reason": reason,
            "details": to_jsonable_python(details, fallback=str),
            "schema_version": AUDIT_SCHEMA_VERSION,
        }
        stmt = audit.insert().values(row).returning(audit.c.audit_id)
        if connection is not None:
            audit_id = connection.execute(stmt).scalar_one()
        else:
            with self.db.engine.begin() as conn:
                audit_id = conn.execute(stmt).scalar_one()
        return AuditEntry(
            audit_id=audit_id,
            at=row["at"],
            actor=row["actor"],
            action=row["action"],
            target=row["target"],
            before=row["before"],
            after=row["after"],
            reason=reason,
            details=row["details"],
        )

    def list(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[AuditEntry]:
        """Entries matching every given filter, newest first.

        `action` ending in `.*` matches a prefix (`retention.*`); `since` is inclusive and
        `until` exclusive (epoch seconds).
        """
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise UserError(
                f"AuditLog.list() needs 1 <= limit <= {MAX_LIMIT} and offset >= 0, "
                f"got limit={limit} offset={offset}",
                limit=limit,
                offset=offset,
            )
        query = sa.select(audit)
        if actor is not None:
            query = query.where(audit.c.actor == actor)
        if action is not None:
            if action.endswith(".*"):
                query = query.where(audit.c.action.startswith(action[:-1], autoescape=True))
            else:
                query = query.where(audit.c.action == action)
        if target is not None:
            query = query.where(audit.c.target == target)
        if since is not None:
            query = query.where(audit.c.at >= since)
        if until is not None:
            query = query.where(audit.c.at < until)
        query = query.order_by(audit.c.at.desc(), audit.c.audit_id.desc())
        with self.db.engine.connect() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).mappings().all()
        return [AuditEntry.from_row(row) for row in rows]
