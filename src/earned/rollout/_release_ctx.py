"""What a release check looks at, and what it answers.

A check is a function `(ctx: ReleaseContext, params) -> Outcome`. The context holds the
project database, the matrix and the capability's row, its live state, the loaded agents
(their tools and policies), the time of the check, and the evidence several checks share
(the required gate manifest, the latest eval runs against it, the capability's recent runs),
each read once.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict

from earned.errors import UserError
from earned.rollout._matrix import CapabilityMatrix, CapabilitySpec
from earned.rollout._state import CapabilityState
from earned.store import Database
from earned.store._tables import runs, spans
from earned.tools import Tool

__all__ = ["NoParams", "Outcome", "ReleaseContext", "when"]


def when(ts: float | None) -> str:
    """A time for evidence text: `2026-03-10 14:05 UTC`."""
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


class NoParams(BaseModel):
    """The params of a check that takes none (any key is a mistake)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """A check's verdict: passed or not, the evidence in words, the fix when it failed."""

    passed: bool
    evidence: str
    fix: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def ok(cls, evidence: str, **details: Any) -> Outcome:
        """A pass, with its evidence."""
        return cls(passed=True, evidence=evidence, details=details)

    @classmethod
    def fail(cls, evidence: str, fix: str, **details: Any) -> Outcome:
        """A failure: what was found, and what to do."""
        return cls(passed=False, evidence=evidence, fix=fix, details=details)


class ReleaseContext:
    """One capability's release check: the inputs and the evidence shared by checks."""

    def __init__(
        self,
        *,
        db: Database,
        matrix: CapabilityMatrix,
        spec: CapabilitySpec,
        agents: Sequence[Any],
        state: CapabilityState | None,
        now: float,
    ) -> None:
        self.db = db
        self.matrix = matrix
        self.spec = spec
        self.agents = tuple(agents)
        self.state = state
        self.now = now

    # -- the agents' side -------------------------------------------------------------------

    @functools.cached_property
    def tools(self) -> dict[str, Tool[Any, Any]]:
        """The capability's tools, as the loaded agents define them."""
        found: dict[str, Tool[Any, Any]] = {}
        for agent in self.agents:
            for tool in agent.tools:
                if tool.name in self.spec.tools:
                    found.setdefault(tool.name, tool)
        return found

    @property
    def missing_tools(self) -> list[str]:
        """Tools the matrix names that no loaded agent has."""
        return [t for t in self.spec.tools if t not in self.tools]

    @property
    def serving_agents(self) -> list[Any]:
        """Agents with any of the capability's tools (every agent when it has none)."""
        if not self.spec.tools:
            return list(self.agents)
        return [a for a in self.agents if any(t.name in self.spec.tools for t in a.tools)]

    def agents_problem(self) -> Outcome | None:
        """A failure when the check needs agents and none (or not every tool) is loaded."""
        if not self.agents:
            return Outcome.fail(
                "no agent was given, so its tools and policy cannot be checked",
                "pass --agent MODULE:ATTR (or keep an evals.yaml naming the agent next to "
                "the matrix); from Python, release_check(..., agents=[agent])",
            )
        if self.missing_tools:
            return Outcome.fail(
                f"the matrix gives {self.spec.name} tools no loaded agent has: "
                f"{', '.join(self.missing_tools)}",
                "load the agent that defines them (--agent), or fix the matrix's `tools`",
                missing=self.missing_tools,
            )
        return None

    # -- evals --------------------------------------------------------------------------------

    @functools.cached_property
    def manifest(self) -> Any:
        """The required eval's gate manifest as the file says now, or a UserError."""
        from earned.evals import load_manifest

        path = self.matrix.manifest_path(self.spec)
        if path is None:
            return UserError(
                f"{self.spec.name} declares no required_eval",
                fix="add `required_eval: gates/<capability>.yaml` to its row of the matrix",
            )
        try:
            return load_manifest(path)
        except UserError as exc:
            return exc

    def manifest_problem(self) -> Outcome | None:
        """A failure when the manifest cannot be read."""
        manifest = self.manifest
        if isinstance(manifest, UserError):
            fix = manifest.details.get("fix")
            return Outcome.fail(
                f"no gate manifest: {manifest.headline()}",
                fix if isinstance(fix, str) else "fix the required_eval file",
            )
        return None

    @functools.cached_property
    def eval_runs(self) -> list[Any]:
        """Completed eval runs of the manifest's capability, newest first (any manifest)."""
        from earned.evals import EvalStore

        manifest = self.manifest
        if isinstance(manifest, UserError):
            return []
        return [
            r
            for r in EvalStore(self.db).runs(capability=manifest.capability, limit=1000)
            if r.status == "completed"
        ]

    @functools.cached_property
    def latest_runs(self) -> dict[str, Any]:
        """The newest completed run of each suite judged against the manifest as it is now."""
        manifest = self.manifest
        latest: dict[str, Any] = {}
        if isinstance(manifest, UserError):
            return latest
        for run in self.eval_runs:
            if run.manifest_hash == manifest.hash:
                latest.setdefault(run.suite, run)
        return latest

    def eval_age_problem(self, run: Any) -> str | None:
        """Words when the eval run is older than the capability's `eval_max_age_days`."""
        days = (self.now - run.started_at) / 86_400
        if days > self.spec.eval_max_age_days:
            return (
                f"{run.suite} ran {days:.0f} days ago, more than the "
                f"{self.spec.eval_max_age_days:g} days the matrix allows"
            )
        return None

    # -- traces -------------------------------------------------------------------------------

    def recent_runs(self, limit: int) -> list[str]:
        """The newest runs of the capability: runs tagged with it, or calling its tools.

        A call is found by its tool span or by its policy decision, so a call whose tool
        span is missing still brings its run in (where the step count gives it away).
        """
        found: dict[str, float] = {}
        with self.db.engine.connect() as conn:
            tagged = conn.execute(
                sa.select(runs.c.run_id, runs.c.created_at)
                .where(runs.c.capability == self.spec.name)
                .order_by(runs.c.created_at.desc())
                .limit(limit)
            ).all()
            calling: Sequence[Any] = ()
            if self.spec.tools:
                calling = conn.execute(
                    sa.select(spans.c.run_id, sa.func.max(spans.c.started_at))
                    .where(
                        spans.c.kind.in_(["tool_call", "policy_decision"]),
                        spans.c.tool.in_(self.spec.tools),
                    )
                    .group_by(spans.c.run_id)
                    .order_by(sa.func.max(spans.c.started_at).desc())
                    .limit(limit)
                ).all()
        for run_id, at in [*tagged, *calling]:
            found[run_id] = max(found.get(run_id, 0.0), float(at or 0.0))
        return sorted(found, key=lambda r: found[r], reverse=True)[:limit]
