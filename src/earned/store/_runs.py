"""Stored runs: one row per run, from its request to its result.

`RunStore.create` writes the request (harmlessly again when the run is already stored),
`start` marks a run running as its workflow begins (storing it first when it is new),
`set_status` records progress, and `finish` writes the result. A run in a final status
keeps it: later `start` and `set_status` calls are ignored.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, get_args

import sqlalchemy as sa

from earned.errors import UserError
from earned.messages import Usage
from earned.runtime._state import (
    FINAL_STATUSES,
    SCHEMA_VERSION,
    Escalation,
    Principal,
    RunLimits,
    RunRequest,
    RunResult,
    RunStatus,
)
from earned.store._database import Database
from earned.store._errors import RunNotFoundError, SchemaVersionError
from earned.store._tables import runs
from earned.store._upsert import insert_for

if TYPE_CHECKING:
    from earned.redaction import Redactor

__all__ = ["RunRecord", "RunStore", "check_schema_version"]

_STATUSES: frozenset[str] = frozenset(get_args(RunStatus))
#: Largest page `RunStore.list` returns.
MAX_LIMIT = 1000


def check_schema_version(version: int, supported: int, *, what: str, **where: Any) -> None:
    """Raise SchemaVersionError when `version` is newer than this earned reads."""
    if version > supported:
        raise SchemaVersionError(
            f"{what} was written by a newer version of earned (schema version {version}; "
            f"this version reads up to {supported}). Upgrade earned: pip install -U earned",
            version=version,
            supported=supported,
            **where,
        )


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """One stored run: its request, its progress and, once finished, its result."""

    run_id: str
    agent: str
    status: str
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    escalation: dict[str, Any] | None = None
    user: str | None = None
    role: str | None = None
    tenant: str | None = None
    capability: str | None = None
    stage: str | None = None
    environment: str | None = None
    model: str | None = None
    limits: dict[str, Any] | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    cost: float = 0.0
    cost_known: bool = True
    steps: int = 0
    tainted: bool = False
    fallback: str | None = None
    decisions: list[dict[str, Any]] | None = None
    versions: dict[str, str] | None = None
    created_at: float
    updated_at: float
    started_at: float | None = None
    ended_at: float | None = None
    request_id: str | None = None
    correlation_id: str | None = None
    schema_version: int = SCHEMA_VERSION

    @property
    def finished(self) -> bool:
        """True once the run is in a final status."""
        return self.status in FINAL_STATUSES

    @property
    def principal(self) -> Principal:
        """Who the run acted for."""
        return Principal(user=self.user, role=self.role, tenant=self.tenant)

    @property
    def usage(self) -> Usage:
        """Tokens and model requests the run used."""
        return Usage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            requests=self.requests,
        )

    def to_request(self) -> RunRequest:
        """The request the run was started with."""
        return RunRequest(
            schema_version=self.schema_version,
            run_id=self.run_id,
            agent=self.agent,
            input=self.input,
            principal=self.principal,
            capability=self.capability,
            stage=self.stage,
            environment=self.environment or "dev",
            model=self.model,
            limits=RunLimits.model_validate(self.limits or {}),
            created_at=self.created_at,
            request_id=self.request_id,
            correlation_id=self.correlation_id,
        )

    def to_result(self) -> RunResult:
        """How the run ended; UserError while it has not finished."""
        if not self.finished:
            raise UserError(
                f"run {self.run_id!r} has not finished (status {self.status!r}); "
                "only a finished run has a result",
                run_id=self.run_id,
                status=self.status,
            )
        return RunResult(
            schema_version=self.schema_version,
            run_id=self.run_id,
            agent=self.agent,
            status=self.status,  # pyright: ignore[reportArgumentType]  # checked above
            output=self.output,
            error=self.error,
            escalation=None if self.escalation is None else Escalation(**self.escalation),
            usage=self.usage,
            cost=self.cost,
            cost_known=self.cost_known,
            steps=self.steps,
            tainted=self.tainted,
            fallback=self.fallback,
            decisions=self.decisions or [],
            versions=self.versions or {},
            principal=self.principal,
            capability=self.capability,
            stage=self.stage,
            started_at=self.started_at or self.created_at,
            ended_at=self.ended_at,
        )

    @classmethod
    def from_row(cls, row: sa.RowMapping) -> RunRecord:
        """Build a record from an `earned_runs` row; refuses rows from a newer schema."""
        check_schema_version(
            row["schema_version"],
            SCHEMA_VERSION,
            what=f"run {row['run_id']!r}",
            run_id=row["run_id"],
        )
        values = {f.name: row[f.name] for f in fields(cls) if f.name in row}
        values["user"] = row["user_id"]
        return cls(**values)


def _check_status(status: str) -> None:
    if status not in _STATUSES:
        raise UserError(
            f"unknown run status {status!r}; use one of {sorted(_STATUSES)}",
            status=status,
        )


def _request_row(request: RunRequest, status: str, now: float) -> dict[str, Any]:
    data = request.model_dump(mode="json")
    return {
        "run_id": request.run_id,
        "agent": request.agent,
        "status": status,
        "input": data["input"],
        "user_id": request.principal.user,
        "role": request.principal.role,
        "tenant": request.principal.tenant,
        "capability": request.capability,
        "stage": request.stage,
        "environment": request.environment,
        "model": request.model,
        "limits": data["limits"],
        "created_at": request.created_at,
        "updated_at": now,
        "started_at": request.created_at,
        "request_id": request.request_id,
        "correlation_id": request.correlation_id,
        "schema_version": SCHEMA_VERSION,
    }


def _result_row(result: RunResult, now: float) -> dict[str, Any]:
    data = result.model_dump(mode="json")
    return {
        "run_id": result.run_id,
        "agent": result.agent,
        "status": result.status,
        "output": data["output"],
        "error": data["error"],
        "escalation": data["escalation"],
        "user_id": result.principal.user,
        "role": result.principal.role,
        "tenant": result.principal.tenant,
        "capability": result.capability,
        "stage": result.stage,
        "input_tokens": result.usage.input_tokens,
        "output_tokens": result.usage.output_tokens,
        "requests": result.usage.requests,
        "cost": result.cost,
        "cost_known": result.cost_known,
        "steps": result.steps,
        "tainted": result.tainted,
        "fallback": result.fallback,
        "decisions": data["decisions"],
        "versions": data["versions"],
        "ended_at": result.ended_at if result.ended_at is not None else now,
        "updated_at": now,
        "schema_version": SCHEMA_VERSION,
    }


#: Payload columns a RunStore with a redactor redacts before writing.
_REDACTED = ("input", "output", "error", "escalation", "decisions")

#: Columns a result without a value (None) must not blank out in the stored row.
_KEEP_WHEN_NONE = ("user_id", "role", "tenant", "capability", "stage", "started_at")


class RunStore:
    """Runs in the `earned_runs` table: create, progress, finish, read and list."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], float] = time.time,
        redactor: Redactor | None = None,
    ) -> None:
        """Use `db`, which must be migrated (`Database.upgrade()`); `clock` gives epoch seconds.

        With a `redactor`, the input, output, error, escalation and decisions are redacted
        in the run's scope before they are written (so they read back redacted).
        """
        db.check_revision()
        self.db = db
        self._clock = clock
        self._redactor = redactor
        self._statements: dict[str, Any] = {}

    def _redact(self, run_id: str, row: dict[str, Any]) -> dict[str, Any]:
        if self._redactor is None:
            return row
        scope = self._redactor.scope(run_id)
        for column in _REDACTED:
            if row.get(column) is not None:
                row[column] = scope.value(row[column])
        return row

    def create(self, request: RunRequest, *, status: str = "pending") -> None:
        """Store a new run; does nothing when a run with this id is already stored."""
        _check_status(status)
        row = self._redact(request.run_id, _request_row(request, status, self._clock()))
        with self.db.engine.begin() as conn:
            conn.execute(self._statement("create", row), row)

    def start(self, request: RunRequest) -> None:
        """Mark a run running as its workflow begins, in one statement.

        A new run is stored from its request, as by `create(request, status="running")`; a
        stored run that has not ended moves to running, as by `set_status(run_id, "running")`
        (its request is left as stored); a run in a final status keeps it.
        """
        row = self._redact(request.run_id, _request_row(request, "running", self._clock()))
        with self.db.engine.begin() as conn:
            conn.execute(self._statement("start", row), row)

    def set_status(self, run_id: str, status: str) -> None:
        """Record a run's new status. A run in a final status keeps it (the call is ignored).

        Raises RunNotFoundError for a run the store has never seen.
        """
        _check_status(status)
        now = self._clock()
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if status in FINAL_STATUSES:
            values["ended_at"] = now
        stmt = (
            runs.update()
            .where(runs.c.run_id == run_id, runs.c.status.not_in(FINAL_STATUSES))
            .values(values)
        )
        with self.db.engine.begin() as conn:
            if conn.execute(stmt).rowcount:
                return
            exists = conn.execute(sa.select(runs.c.run_id).where(runs.c.run_id == run_id))
            if exists.first() is None:
                raise RunNotFoundError(
                    f"no run {run_id!r} in the store; create it with RunStore.create first",
                    run_id=run_id,
                )

    def finish(self, result: RunResult) -> None:
        """Store how a run ended; writing the same result again is harmless.

        The result is authoritative: it replaces a final status set by `set_status`.

        A run that was never created is stored from the result alone (without its input).
        """
        if result.status not in FINAL_STATUSES:
            raise UserError(
                f"finish() needs a final status, got {result.status!r} for run "
                f"{result.run_id!r}; use set_status() for progress",
                run_id=result.run_id,
                status=result.status,
            )
        now = self._clock()
        row = self._redact(result.run_id, _result_row(result, now))
        row["started_at"] = result.started_at or None
        row["created_at"] = result.started_at or now  # only when the row is new
        with self.db.engine.begin() as conn:
            conn.execute(self._statement("finish", row), row)

    def _statement(self, kind: str, row: dict[str, Any]) -> Any:
        """The upsert for `create`, `start` or `finish`, built once (values bound per call).

        `create` inserts or leaves an existing run alone; `start` inserts or sets the status
        and `updated_at` of a run not in a final status; `finish` inserts or overwrites
        every column of the row but `run_id` and `created_at`, keeping the stored value of
        the `_KEEP_WHEN_NONE` columns when the result has none.
        """
        stmt = self._statements.get(kind)
        if stmt is None:
            insert = insert_for(self.db.dialect, runs)
            if kind == "create":
                stmt = insert.on_conflict_do_nothing(index_elements=[runs.c.run_id])
            elif kind == "start":
                new = insert.excluded
                stmt = insert.on_conflict_do_update(
                    index_elements=[runs.c.run_id],
                    set_={"status": new.status, "updated_at": new.updated_at},
                    where=runs.c.status.not_in(FINAL_STATUSES),
                )
            else:
                new = insert.excluded
                update: dict[str, Any] = {
                    k: new[k] for k in row if k not in ("run_id", "created_at")
                }
                for name in _KEEP_WHEN_NONE:
                    update[name] = sa.func.coalesce(new[name], runs.c[name])
                stmt = insert.on_conflict_do_update(index_elements=[runs.c.run_id], set_=update)
            self._statements[kind] = stmt
        return stmt

    def get(self, run_id: str) -> RunRecord | None:
        """The stored run, or None."""
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.run_id == run_id)).mappings().first()
        return None if row is None else RunRecord.from_row(row)

    def list(
        self,
        *,
        agent: str | None = None,
        status: str | None = None,
        tenant: str | None = None,
        capability: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[RunRecord]:
        """Runs matching every given filter, newest first."""
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise UserError(
                f"list() needs 1 <= limit <= {MAX_LIMIT} and offset >= 0, "
                f"got limit={limit} offset={offset}",
                limit=limit,
                offset=offset,
            )
        query = sa.select(runs)
        for column, value in (
            (runs.c.agent, agent),
            (runs.c.status, status),
            (runs.c.tenant, tenant),
            (runs.c.capability, capability),
        ):
            if value is not None:
                query = query.where(column == value)
        query = query.order_by(runs.c.created_at.desc(), runs.c.run_id.desc())
        with self.db.engine.connect() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).mappings().all()
        return [RunRecord.from_row(row) for row in rows]
