"""Live rollout state: each capability's stage and every flag, in the project database.

Every change is written with its audit entry in one transaction (actor, before, after,
reason). Reads are fresh on every call, so a stage change or a flag flip takes effect on
the next tool call of every running run, in every worker, without a deploy.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from earned.errors import UserError
from earned.rollout._matrix import DEFAULT_FLAGS, CapabilityMatrix
from earned.stages import Stage
from earned.store import AuditLog, Database
from earned.store._tables import ROLLOUT_SCHEMA_VERSION, capability_states, flags
from earned.store._upsert import insert_for

__all__ = ["AGENT_SCOPE", "CapabilityState", "Flag", "RolloutStore", "split_flag"]

#: The scope of agent-wide flags (seed 000's list); a capability's scope is its name.
AGENT_SCOPE = "*"
#: The kill switch every capability has in its own scope.
ENABLED = "enabled"


@dataclass(frozen=True, kw_only=True)
class CapabilityState:
    """Where a capability stands now."""

    capability: str
    stage: Stage
    previous_stage: Stage | None
    stage_since: float
    updated_at: float
    updated_by: str
    reason: str | None
    tripped: str | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        data = dict(self.__dict__)
        data["stage"] = self.stage.value
        data["previous_stage"] = self.previous_stage.value if self.previous_stage else None
        return data


@dataclass(frozen=True, kw_only=True)
class Flag:
    """One feature flag or kill switch."""

    scope: str
    name: str
    enabled: bool
    owner: str
    updated_at: float
    updated_by: str
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return dict(self.__dict__)


def split_flag(name: str, matrix: CapabilityMatrix) -> tuple[str, str]:
    """A flag's (scope, name) from how people write it.

    `write_tools_enabled` -> (`*`, ...); `agent` -> (`*`, `agent_enabled`); a capability's
    name -> (capability, `enabled`); `cap/flag` -> (cap, flag).
    """
    if "/" in name:
        scope, flag = name.split("/", 1)
        return scope, flag
    if name in matrix.capabilities:
        return name, ENABLED
    if name == "agent":
        return AGENT_SCOPE, "agent_enabled"
    return AGENT_SCOPE, name


def _state(row: sa.RowMapping) -> CapabilityState:
    previous = row["previous_stage"]
    return CapabilityState(
        capability=row["capability"],
        stage=Stage(row["stage"]),
        previous_stage=Stage(previous) if previous else None,
        stage_since=row["stage_since"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        reason=row["reason"],
        tripped=row["tripped"],
    )


def _flag(row: sa.RowMapping) -> Flag:
    return Flag(
        scope=row["scope"],
        name=row["name"],
        enabled=bool(row["enabled"]),
        owner=row["owner"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        reason=row["reason"],
    )


class RolloutStore:
    """Stages and flags, read fresh and changed with an audit entry."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        db.check_revision()
        self.db = db
        self.clock = clock
        self.audit = AuditLog(db, clock=clock)

    # -- setup ----------------------------------------------------------------------------

    def ensure(self, matrix: CapabilityMatrix, *, actor: str = "earned") -> None:
        """Create missing capability rows (at the matrix's stage) and flags (enabled)."""
        now = self.clock()
        with self.db.engine.begin() as conn:
            known = {r[0] for r in conn.execute(sa.select(capability_states.c.capability))}
            for spec in matrix.capabilities.values():
                if spec.name in known:
                    continue
                conn.execute(
                    sa.insert(capability_states).values(
                        capability=spec.name,
                        stage=spec.stage.value,
                        stage_since=now,
                        updated_at=now,
                        updated_by=actor,
                        reason="declared in the matrix",
                        matrix_digest=matrix.digest,
                        schema_version=ROLLOUT_SCHEMA_VERSION,
                    )
                )
                self.audit.record(
                    actor,
                    "rollout.stage",
                    spec.name,
                    None,
                    spec.stage.value,
                    "declared in the matrix",
                    {"matrix": matrix.version},
                    connection=conn,
                )
            wanted = [(AGENT_SCOPE, name, matrix.owner) for name in DEFAULT_FLAGS]
            wanted += [(s.name, ENABLED, s.owner) for s in matrix.capabilities.values()]
            for scope, name, owner in wanted:
                stmt = (
                    insert_for(self.db.dialect, flags)
                    .values(
                        scope=scope,
                        name=name,
                        enabled=True,
                        owner=owner,
                        updated_at=now,
                        updated_by=actor,
                        reason="created",
                        schema_version=ROLLOUT_SCHEMA_VERSION,
                    )
                    .on_conflict_do_nothing(index_elements=["scope", "name"])
                )
                conn.execute(stmt)

    # -- stages ---------------------------------------------------------------------------

    def state(self, capability: str) -> CapabilityState | None:
        """The capability's current state, or None if it was never set up."""
        with self.db.engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(capability_states).where(capability_states.c.capability == capability)
                )
                .mappings()
                .first()
            )
        return _state(row) if row is not None else None

    def states(self) -> dict[str, CapabilityState]:
        """Every capability's state."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(capability_states)).mappings().all()
        return {row["capability"]: _state(row) for row in rows}

    def set_stage(
        self,
        capability: str,
        stage: Stage,
        *,
        actor: str,
        reason: str,
        expected: Stage | None = None,
        tripped: str | None = None,
        details: dict[str, Any] | None = None,
        action: str = "rollout.stage",
    ) -> CapabilityState:
        """Move the capability to `stage` (only from `expected`, when given); audited."""
        now = self.clock()
        with self.db.engine.begin() as conn:
            row = (
                conn.execute(
                    sa.select(capability_states).where(capability_states.c.capability == capability)
                )
                .mappings()
                .first()
            )
            if row is None:
                raise UserError(
                    f"capability {capability!r} is not set up; launch an engine "
                    "with its matrix first",
                    capability=capability,
                )
            current = Stage(row["stage"])
            if expected is not None and current != expected:
                raise UserError(
                    f"{capability} is at {current.value} now, not {expected.value}: "
                    "someone moved it meanwhile; look again and retry",
                    capability=capability,
                    stage=current.value,
                )
            conn.execute(
                sa.update(capability_states)
                .where(capability_states.c.capability == capability)
                .values(
                    stage=stage.value,
                    previous_stage=current.value,
                    stage_since=now,
                    updated_at=now,
                    updated_by=actor,
                    reason=reason,
                    tripped=tripped,
                )
            )
            self.audit.record(
                actor,
                action,
                capability,
                current.value,
                stage.value,
                reason,
                details,
                connection=conn,
            )
        state = self.state(capability)
        assert state is not None
        return state

    # -- flags ----------------------------------------------------------------------------

    def flags(self, scope: str | None = None) -> builtins.list[Flag]:
        """Every flag (of one scope, when given), agent-wide first."""
        query = sa.select(flags).order_by(flags.c.scope, flags.c.name)
        if scope is not None:
            query = query.where(flags.c.scope == scope)
        with self.db.engine.connect() as conn:
            return [_flag(row) for row in conn.execute(query).mappings()]

    def set_flag(self, scope: str, name: str, enabled: bool, *, actor: str, reason: str) -> Flag:
        """Flip a flag; audited. Unknown flags are refused with the known ones."""
        now = self.clock()
        with self.db.engine.begin() as conn:
            row = (
                conn.execute(sa.select(flags).where(flags.c.scope == scope, flags.c.name == name))
                .mappings()
                .first()
            )
            if row is None:
                known = [
                    f.name if f.scope == AGENT_SCOPE else f"{f.scope}/{f.name}"
                    for f in self.flags()
                ]
                raise UserError(
                    f"no flag {name if scope == AGENT_SCOPE else f'{scope}/{name}'!r}; known: "
                    f"{', '.join(known) or '(none: launch an engine with a matrix)'}",
                    scope=scope,
                    flag=name,
                )
            conn.execute(
                sa.update(flags)
                .where(flags.c.scope == scope, flags.c.name == name)
                .values(enabled=enabled, updated_at=now, updated_by=actor, reason=reason)
            )
            self.audit.record(
                actor,
                "rollout.flag",
                f"{scope}/{name}",
                bool(row["enabled"]),
                enabled,
                reason,
                connection=conn,
            )
        return next(f for f in self.flags(scope) if f.name == name)

    def snapshot(self, capability: str) -> tuple[Stage | None, dict[str, bool]]:
        """The capability's stage and the flags that apply to it, in one read."""
        with self.db.engine.connect() as conn:
            stage = conn.execute(
                sa.select(capability_states.c.stage).where(
                    capability_states.c.capability == capability
                )
            ).scalar()
            rows = conn.execute(
                sa.select(flags.c.scope, flags.c.name, flags.c.enabled).where(
                    flags.c.scope.in_([AGENT_SCOPE, capability])
                )
            ).all()
        values = {
            (name if scope == AGENT_SCOPE else f"{scope}/{name}"): bool(enabled)
            for scope, name, enabled in rows
        }
        return (Stage(stage) if stage else None), values
