"""Promotion on evidence, demotion by hand: every gate checked, explained and recorded.

`Promotion.check(capability)` judges the move one stage up (or to `to`) against:

- `matrix`: seed 000's rule, a required eval and a rollback action to leave shadow;
- `eval`: the latest run of every suite judged against the capability's frozen gate
  manifest (the manifest file's hash now) passed, and is recent enough;
- `stop_conditions`: none of the capability's stop conditions trips at its current stage;
- `time_at_stage`: the capability spent `min_days_at_stage` where it is;
- `approval_history` (write capabilities, into `approval_history.from_stage` and above):
  seed 001's rule, >= 100 decisions, >= 97% approved, no rejection for 30 days;
- `enabled`: its kill switch is on.

`promote` moves only when every gate passes, and writes the evidence (each gate's verdict
and the manifest hash) into the audit entry of the move.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from earned.approvals import ApprovalStore
from earned.errors import UserError
from earned.rollout._matrix import CapabilityMatrix, CapabilitySpec
from earned.rollout._state import ENABLED, CapabilityState, RolloutStore
from earned.rollout._stops import evaluate_stop
from earned.stages import Stage
from earned.store import Database

__all__ = ["GateCheck", "Promotion", "PromotionCheck"]

_DAY = 86_400.0


@dataclass(frozen=True, kw_only=True)
class GateCheck:
    """One promotion gate's verdict, in words, with the evidence it looked at."""

    gate: str
    passed: bool
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "gate": self.gate,
            "passed": self.passed,
            "detail": self.detail,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, kw_only=True)
class PromotionCheck:
    """Whether `capability` may move from `current` to `target`, gate by gate."""

    capability: str
    current: Stage
    target: Stage
    gates: list[GateCheck]

    @property
    def allowed(self) -> bool:
        """True when every gate passed."""
        return all(g.passed for g in self.gates)

    @property
    def unmet(self) -> list[GateCheck]:
        """The gates that failed."""
        return [g for g in self.gates if not g.passed]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "capability": self.capability,
            "from": self.current.value,
            "to": self.target.value,
            "allowed": self.allowed,
            "gates": [g.to_dict() for g in self.gates],
        }


class Promotion:
    """Judges and performs stage moves for one matrix on one database."""

    def __init__(
        self,
        db: Database,
        matrix: CapabilityMatrix,
        store: RolloutStore | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.matrix = matrix
        self.store = store or RolloutStore(db, clock=clock)
        self.clock = clock

    def _state(self, capability: str) -> tuple[CapabilitySpec, CapabilityState]:
        spec = self.matrix.get(capability)
        state = self.store.state(capability)
        if state is None:
            self.store.ensure(self.matrix)
            state = self.store.state(capability)
        assert state is not None
        return spec, state

    def check(self, capability: str, *, to: Stage | None = None) -> PromotionCheck:
        """Every gate of the move, passed or not (nothing changes)."""
        spec, state = self._state(capability)
        target = _target(spec, state.stage, to)
        gates = [
            self._matrix_gate(spec, target),
            self._eval_gate(spec, target),
            self._stops_gate(spec, state),
            self._time_gate(spec, state),
        ]
        if spec.writes and target.rank >= spec.approval_history.from_stage.rank:
            gates.append(self._approvals_gate(spec))
        gates.append(self._enabled_gate(spec))
        return PromotionCheck(capability=spec.name, current=state.stage, target=target, gates=gates)

    def promote(
        self, capability: str, *, actor: str, to: Stage | None = None, reason: str | None = None
    ) -> tuple[PromotionCheck, CapabilityState | None]:
        """Move up when every gate passes; the audit entry keeps the evidence."""
        check = self.check(capability, to=to)
        if not check.allowed:
            return check, None
        manifest = next(
            (g.evidence.get("manifest_hash") for g in check.gates if g.gate == "eval"), None
        )
        state = self.store.set_stage(
            capability,
            check.target,
            actor=actor,
            expected=check.current,
            reason=reason or f"promoted from {check.current.value}: every gate passed",
            details={
                "evidence": check.to_dict(),
                "manifest_hash": manifest,
                "matrix": self.matrix.version,
            },
            action="rollout.promote",
        )
        return check, state

    def rollback(
        self, capability: str, *, actor: str, to: Stage | None = None, reason: str | None = None
    ) -> CapabilityState:
        """Demote by hand (to the capability's fallback stage, or `to`): no gates."""
        spec, state = self._state(capability)
        target = to or _fallback(spec, state.stage)
        if target.rank >= state.stage.rank:
            raise UserError(
                f"{capability} is at {state.stage.value}; rollback goes down, and "
                f"{target.value} is not below it; use `earned rollout promote`",
                capability=capability,
                stage=state.stage.value,
            )
        return self.store.set_stage(
            capability,
            target,
            actor=actor,
            expected=state.stage,
            reason=reason or f"rolled back by hand ({spec.rollback or 'no rollback action'})",
            details={"rollback_action": spec.rollback, "matrix": self.matrix.version},
            action="rollout.rollback",
        )

    # -- gates ----------------------------------------------------------------------------

    def _matrix_gate(self, spec: CapabilitySpec, target: Stage) -> GateCheck:
        if target.rank <= Stage.SHADOW.rank or spec.can_leave_shadow:
            return GateCheck(
                gate="matrix",
                passed=True,
                detail="required eval and rollback action declared"
                if spec.can_leave_shadow
                else "shadow needs neither",
            )
        missing = [
            n
            for n, v in (("required_eval", spec.required_eval), ("rollback", spec.rollback))
            if not v
        ]
        return GateCheck(
            gate="matrix",
            passed=False,
            detail=f"no {' and no '.join(missing)} declared: a capability cannot "
            "move past shadow without both (seed 000); add them to the matrix",
        )

    def _eval_gate(self, spec: CapabilitySpec, target: Stage) -> GateCheck:
        if target.rank <= Stage.SHADOW.rank:
            return GateCheck(gate="eval", passed=True, detail="not needed to enter shadow")
        return eval_gate(self.db, self.matrix, spec, clock=self.clock)

    def _stops_gate(self, spec: CapabilitySpec, state: CapabilityState) -> GateCheck:
        results = [
            evaluate_stop(self.db, spec, c, stage=state.stage, clock=self.clock)
            for c in spec.stop_conditions
        ]
        tripped = [r for r in results if r.tripped]
        detail = (
            "; ".join(r.message for r in tripped)
            if tripped
            else f"{len(results)} stop condition(s) clear"
            if results
            else "no stop conditions declared"
        )
        return GateCheck(
            gate="stop_conditions",
            passed=not tripped,
            detail=detail,
            evidence={"results": [r.to_dict() for r in results]},
        )

    def _time_gate(self, spec: CapabilitySpec, state: CapabilityState) -> GateCheck:
        days = (self.clock() - state.stage_since) / _DAY
        ok = days >= spec.min_days_at_stage
        detail = f"{days:.1f} days at {state.stage.value}"
        if not ok:
            detail += f", fewer than the {spec.min_days_at_stage:g} required"
        return GateCheck(
            gate="time_at_stage",
            passed=ok,
            detail=detail,
            evidence={"days": round(days, 3), "required": spec.min_days_at_stage},
        )

    def _approvals_gate(self, spec: CapabilitySpec) -> GateCheck:
        rule = spec.approval_history
        now = self.clock()
        stats = ApprovalStore(self.db).stats(
            capability=spec.name, since=now - rule.window_days * _DAY
        )
        rate = stats.approved / stats.decisions if stats.decisions else 0.0
        problems = []
        if stats.decisions < rule.min_decisions:
            problems.append(f"{stats.decisions} decisions, fewer than {rule.min_decisions}")
        if rate < rule.min_rate:
            problems.append(f"approval rate {rate:.1%} below {rule.min_rate:.0%}")
        last = stats.last_rejection_at
        if last is not None and now - last < rule.no_rejection_days * _DAY:
            problems.append(
                f"a rejection {(now - last) / _DAY:.1f} days ago, within "
                f"{rule.no_rejection_days:g} days"
            )
        evidence = {
            "decisions": stats.decisions,
            "approved": stats.approved,
            "rejected": stats.rejected,
            "rate": round(rate, 4),
            "last_rejection_at": last,
            "window_days": rule.window_days,
        }
        detail = (
            "; ".join(problems)
            if problems
            else (
                f"{stats.decisions} decisions, {rate:.1%} approved, no rejection in "
                f"{rule.no_rejection_days:g} days"
            )
        )
        return GateCheck(
            gate="approval_history", passed=not problems, detail=detail, evidence=evidence
        )

    def _enabled_gate(self, spec: CapabilitySpec) -> GateCheck:
        on = next((f.enabled for f in self.store.flags(spec.name) if f.name == ENABLED), True)
        return GateCheck(
            gate="enabled",
            passed=on,
            detail="kill switch on"
            if on
            else f"{spec.name}/enabled is off: turn it on before promoting",
        )


def eval_gate(
    db: Database,
    matrix: CapabilityMatrix,
    spec: CapabilitySpec,
    *,
    clock: Callable[[], float] = time.time,
) -> GateCheck:
    """The latest eval of each suite against the required manifest passed, recently."""
    from earned.evals import EvalStore, load_manifest

    path = matrix.manifest_path(spec)
    if path is None:
        return GateCheck(gate="eval", passed=False, detail="no required_eval declared")
    try:
        manifest = load_manifest(path)
    except UserError as exc:
        return GateCheck(gate="eval", passed=False, detail=f"cannot load {path}: {exc.message}")
    runs = [
        r
        for r in EvalStore(db).runs(capability=manifest.capability, limit=200)
        if r.manifest_hash == manifest.hash and r.status == "completed"
    ]
    latest: dict[str, Any] = {}
    for run in runs:  # newest first: keep the first of each suite
        latest.setdefault(run.suite, run)
    evidence = {
        "manifest": str(path),
        "manifest_hash": manifest.hash,
        "runs": {
            s: {"eval_run_id": r.eval_run_id, "verdict": r.verdict, "started_at": r.started_at}
            for s, r in latest.items()
        },
    }
    if not latest:
        return GateCheck(
            gate="eval",
            passed=False,
            evidence=evidence,
            detail=f"no completed eval against manifest {manifest.short_hash} "
            f"({path.name}); run `earned eval run` for {manifest.capability}",
        )
    failed = [s for s, r in latest.items() if r.verdict != "passed"]
    max_age = spec.eval_max_age_days * _DAY
    stale = [s for s, r in latest.items() if clock() - r.started_at > max_age]
    if failed or stale:
        words = [f"suite {s} failed its gates" for s in failed]
        words += [f"suite {s} is older than {spec.eval_max_age_days:g} days" for s in stale]
        return GateCheck(gate="eval", passed=False, detail="; ".join(words), evidence=evidence)
    return GateCheck(
        gate="eval",
        passed=True,
        evidence=evidence,
        detail=f"{', '.join(sorted(latest))} passed against manifest {manifest.short_hash}",
    )


def _target(spec: CapabilitySpec, current: Stage, to: Stage | None) -> Stage:
    stages = list(Stage)
    if to is None:
        if current is Stage.AUTONOMOUS:
            raise UserError(
                f"{spec.name} is autonomous already: there is no stage above", capability=spec.name
            )
        return stages[current.rank + 1]
    if to.rank <= current.rank:
        raise UserError(
            f"{spec.name} is at {current.value}; promotion goes up, and {to.value} "
            "is not above it; use `earned rollout rollback` to go down",
            capability=spec.name,
            stage=current.value,
        )
    return to


def _fallback(spec: CapabilitySpec, current: Stage) -> Stage:
    fallback = spec.demotes_to()
    if fallback.rank < current.rank:
        return fallback
    return list(Stage)[max(current.rank - 1, 0)]
