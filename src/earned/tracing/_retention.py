"""Retention: how long each class of record is kept, and the audited prune that enforces it.

- `traces` (`earned_runs`, `earned_spans`), kept 30 days: a run is due when it was created
  and last updated before the cutoff; its spans go with it, and spans whose run is gone go
  by their start time.
- `approvals` (`earned_approvals`, `earned_approval_events`), kept 400 days: an approval is
  due when it was created and expired before the cutoff; its events go with it.
- `ledger` (`earned_ledger`), kept 400 days: an entry is due when it was last updated
  before the cutoff.

Configured, most specific first, by `RetentionPolicy(traces=..., ...)`, the environment
(`EARNED_RETENTION_TRACES=14d`, `EARNED_RETENTION_APPROVALS`, `EARNED_RETENTION_LEDGER`;
`never` keeps forever), then the `retention:` section of the project file (`./earned.yaml`,
or the file `EARNED_CONFIG` names), then the defaults. Every prune deletes in batches and
appends one `retention.prune` entry per data class to the audit log: who, when, the
cutoff, and how many rows of each table.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, get_args

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from earned.errors import ConfigError, UserError
from earned.store import Database
from earned.store._audit import AuditLog
from earned.store._tables import approval_events, approvals, ledger, runs, spans
from earned.tracing._time import parse_duration

__all__ = [
    "DAILY_PRUNE_NAME",
    "DAILY_PRUNE_SCHEDULE",
    "DATA_CLASSES",
    "DataClass",
    "PruneResult",
    "RetentionPolicy",
    "StepRunner",
    "daily_prune",
    "prune",
    "prune_due",
]

T = TypeVar("T")

DataClass = Literal["traces", "approvals", "ledger"]
DATA_CLASSES: tuple[DataClass, ...] = get_args(DataClass)
_DAY = 86_400.0
#: Default retention in seconds per data class.
DEFAULTS: dict[DataClass, float] = {
    "traces": 30 * _DAY,
    "approvals": 400 * _DAY,
    "ledger": 400 * _DAY,
}
#: Name and cron expression (03:17 UTC daily) of the automatic prune's DBOS schedule.
DAILY_PRUNE_NAME = "earned.retention.daily"
DAILY_PRUNE_SCHEDULE = "17 3 * * *"
#: The actor the automatic prune records in the audit log.
SCHEDULER_ACTOR = "earned:scheduler"
_NEVER = ("never", "forever", "off")


def _seconds(text: Any, *, source: str) -> float | None:
    if isinstance(text, str) and text.strip().lower() in _NEVER:
        return None
    value = parse_duration(str(text), what=f"retention {source}")
    if value <= 0:
        raise ConfigError(
            f"retention {source} must be longer than zero, got {text!r}; write e.g. 30d, "
            "or 'never' to keep records forever",
            value=text,
        )
    return value


class _RetentionSection(BaseModel):
    """The `retention:` section of the project file (durations like `30d`, or `never`)."""

    model_config = ConfigDict(extra="forbid")
    traces: str | None = None
    approvals: str | None = None
    ledger: str | None = None


def _file_section(path: Path) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"cannot read {path}: {exc}; fix the file or set EARNED_CONFIG", path=str(path)
        ) from exc
    section = data.get("retention") if isinstance(data, dict) else None
    if section is None:
        return {}
    try:
        parsed = _RetentionSection.model_validate(section)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(
            f"{path}: the retention section is not valid ({problems}); it takes traces, "
            "approvals and ledger, each a duration like 30d or 'never'",
            path=str(path),
        ) from exc
    return {k: v for k, v in parsed.model_dump().items() if v is not None}


@dataclass(frozen=True, kw_only=True)
class RetentionPolicy:
    """Seconds to keep each data class (None: keep forever)."""

    traces: float | None = DEFAULTS["traces"]
    approvals: float | None = DEFAULTS["approvals"]
    ledger: float | None = DEFAULTS["ledger"]

    @classmethod
    def load(
        cls, *, env: Mapping[str, str] | None = None, path: str | Path | None = None
    ) -> RetentionPolicy:
        """The policy from the environment, then the project file, then the defaults."""
        source = os.environ if env is None else env
        file = Path(path or source.get("EARNED_CONFIG") or "earned.yaml")
        values: dict[str, Any] = {}
        if file.is_file():
            for name, text in _file_section(file).items():
                values[name] = _seconds(text, source=f"{name} in {file}")
        for name in DATA_CLASSES:
            text = source.get(f"EARNED_RETENTION_{name.upper()}")
            if text:
                values[name] = _seconds(text, source=f"EARNED_RETENTION_{name.upper()}")
        return cls(**values)

    def keep(self, data_class: DataClass) -> float | None:
        """Seconds `data_class` is kept (None: forever)."""
        _check_class(data_class)
        return getattr(self, data_class)

    def to_dict(self) -> dict[str, float | None]:
        """Seconds per data class."""
        return {name: self.keep(name) for name in DATA_CLASSES}


def _check_class(data_class: str) -> None:
    if data_class not in DATA_CLASSES:
        raise UserError(
            f"unknown data class {data_class!r}; retention covers {', '.join(DATA_CLASSES)}",
            data_class=data_class,
        )


@dataclass(frozen=True, kw_only=True)
class PruneResult:
    """What one prune of one data class deleted (or, in a dry run, would delete)."""

    data_class: DataClass
    cutoff: float
    older_than: float
    rows: dict[str, int] = field(default_factory=dict[str, int])
    dry_run: bool = False
    audit_id: int | None = None

    @property
    def total(self) -> int:
        """Rows deleted across every table."""
        return sum(self.rows.values())

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "data_class": self.data_class,
            "cutoff": self.cutoff,
            "cutoff_iso": dt.datetime.fromtimestamp(self.cutoff, dt.UTC).isoformat(),
            "older_than_seconds": self.older_than,
            "rows": self.rows,
            "total": self.total,
            "dry_run": self.dry_run,
            "audit_id": self.audit_id,
        }


# -- what is due, per data class ---------------------------------------------------------


def _due_runs(cutoff: float) -> sa.Select[Any]:
    return sa.select(runs.c.run_id).where(runs.c.created_at < cutoff, runs.c.updated_at < cutoff)


def _orphan_spans(cutoff: float) -> sa.Select[Any]:
    has_run = sa.exists().where(runs.c.run_id == spans.c.run_id)
    return sa.select(spans.c.span_id).where(spans.c.started_at < cutoff, ~has_run)


def _due_approvals(cutoff: float) -> sa.Select[Any]:
    return sa.select(approvals.c.approval_id).where(
        approvals.c.created_at < cutoff, approvals.c.expires_at < cutoff
    )


def _orphan_events(cutoff: float) -> sa.Select[Any]:
    has_approval = sa.exists().where(approvals.c.approval_id == approval_events.c.approval_id)
    return sa.select(approval_events.c.event_id).where(approval_events.c.at < cutoff, ~has_approval)


def _due_ledger(cutoff: float) -> sa.Select[Any]:
    return sa.select(ledger.c.idempotency_key).where(ledger.c.updated_at < cutoff)


def _count(conn: sa.Connection, stmt: sa.Select[Any]) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one())


def _count_due(conn: sa.Connection, data_class: DataClass, cutoff: float) -> dict[str, int]:
    if data_class == "traces":
        due = _due_runs(cutoff)
        return {
            "earned_runs": _count(conn, due),
            "earned_spans": _count(conn, sa.select(spans.c.span_id).where(spans.c.run_id.in_(due)))
            + _count(conn, _orphan_spans(cutoff)),
        }
    if data_class == "approvals":
        due = _due_approvals(cutoff)
        events = sa.select(approval_events.c.event_id).where(approval_events.c.approval_id.in_(due))
        return {
            "earned_approvals": _count(conn, due),
            "earned_approval_events": _count(conn, events) + _count(conn, _orphan_events(cutoff)),
        }
    return {"earned_ledger": _count(conn, _due_ledger(cutoff))}


def _delete_batches(
    db: Database, data_class: DataClass, cutoff: float, batch: int, rows: dict[str, int]
) -> None:
    """Delete what is due, `batch` parents per transaction, adding the counts to `rows`."""
    plans: dict[
        DataClass,
        list[
            tuple[sa.Select[Any], sa.Table, sa.Column[Any], list[tuple[sa.Table, sa.Column[Any]]]]
        ],
    ] = {
        "traces": [
            (_due_runs(cutoff), runs, runs.c.run_id, [(spans, spans.c.run_id)]),
            (_orphan_spans(cutoff), spans, spans.c.span_id, []),
        ],
        "approvals": [
            (
                _due_approvals(cutoff),
                approvals,
                approvals.c.approval_id,
                [(approval_events, approval_events.c.approval_id)],
            ),
            (_orphan_events(cutoff), approval_events, approval_events.c.event_id, []),
        ],
        "ledger": [(_due_ledger(cutoff), ledger, ledger.c.idempotency_key, [])],
    }
    for due, table, key, children in plans[data_class]:
        while True:
            with db.engine.begin() as conn:
                ids = list(conn.execute(due.limit(batch)).scalars())
                if not ids:
                    break
                for child, child_key in children:
                    deleted = conn.execute(child.delete().where(child_key.in_(ids))).rowcount
                    rows[child.name] = rows.get(child.name, 0) + deleted
                deleted = conn.execute(table.delete().where(key.in_(ids))).rowcount
                rows[table.name] = rows.get(table.name, 0) + deleted
            if len(ids) < batch:
                break


def prune(
    db: Database,
    data_class: DataClass,
    *,
    older_than: float | None = None,
    policy: RetentionPolicy | None = None,
    actor: str,
    reason: str | None = None,
    dry_run: bool = False,
    batch_size: int = 1000,
    now: float | None = None,
    audit: AuditLog | None = None,
) -> PruneResult | None:
    """Delete `data_class` records older than `older_than` seconds (default: the policy's).

    Returns None when the policy keeps the class forever and no `older_than` is given. A
    real prune appends a `retention.prune` audit entry, even when it fails part way (the
    entry then says how far it got and why it stopped).
    """
    _check_class(data_class)
    if not isinstance(actor, str) or not actor.strip():
        raise UserError(
            f"a prune needs the actor who runs it, for the audit log; got {actor!r}. Pass "
            "--actor NAME or set EARNED_ACTOR",
            actor=actor,
        )
    keep = (
        older_than
        if older_than is not None
        else (policy or RetentionPolicy.load()).keep(data_class)
    )
    if keep is None:
        return None
    if keep <= 0 or batch_size < 1:
        raise UserError(
            f"prune needs older_than > 0 and batch_size >= 1, got older_than={keep} "
            f"batch_size={batch_size}",
            older_than=keep,
            batch_size=batch_size,
        )
    cutoff = (time.time() if now is None else now) - keep
    if dry_run:
        with db.engine.connect() as conn:
            rows = _count_due(conn, data_class, cutoff)
        return PruneResult(
            data_class=data_class, cutoff=cutoff, older_than=keep, rows=rows, dry_run=True
        )
    rows: dict[str, int] = {}
    log = audit or AuditLog(db)
    error: BaseException | None = None
    try:
        _delete_batches(db, data_class, cutoff, batch_size, rows)
    except BaseException as exc:
        error = exc
        raise
    finally:
        details: dict[str, Any] = {
            "cutoff": cutoff,
            "older_than_seconds": keep,
            "rows": rows,
            "total": sum(rows.values()),
            "batch_size": batch_size,
        }
        if error is not None:
            details["error"] = f"{type(error).__name__}: {error}"
        entry = log.record(
            actor,
            "retention.prune",
            data_class,
            reason=reason,
            details=details,
        )
    return PruneResult(
        data_class=data_class, cutoff=cutoff, older_than=keep, rows=rows, audit_id=entry.audit_id
    )


def prune_due(
    db: Database | str,
    *,
    policy: RetentionPolicy | None = None,
    actor: str = SCHEDULER_ACTOR,
    reason: str = "daily retention prune",
    now: float | None = None,
    clock: Callable[[], float] = time.time,
) -> list[PruneResult]:
    """Prune every data class the policy does not keep forever (the automatic daily job).

    `db` may be a database URL: the job then opens and closes its own connection.
    """
    owned = isinstance(db, str)
    database = Database(db) if isinstance(db, str) else db
    try:
        policy = policy or RetentionPolicy.load()
        moment = clock() if now is None else now
        results = [
            prune(database, name, policy=policy, actor=actor, reason=reason, now=moment)
            for name in DATA_CLASSES
        ]
        return [r for r in results if r is not None]
    finally:
        if owned:
            database.close()


class StepRunner(Protocol):
    """Runs a named step once, checkpointed (the engine's `DurableSteps`)."""

    async def run(self, name: str, fn: Callable[[], Awaitable[T]]) -> T:
        """Run `fn` as a step named `name`, or return its recorded result."""
        ...


async def daily_prune(database_url: str, steps: StepRunner) -> list[dict[str, Any]]:
    """The body of the scheduled daily prune: `prune_due` as one checkpointed step.

    The engine registers a DBOS workflow named `DAILY_PRUNE_NAME` that awaits this, and
    schedules it with `DAILY_PRUNE_SCHEDULE`. As a step, a prune that finished is not run
    again when the workflow is recovered, so it is audited once.
    """

    async def step() -> list[dict[str, Any]]:
        results = await asyncio.to_thread(prune_due, database_url)
        return [r.to_dict() for r in results]

    return await steps.run("earned.retention.prune", step)
