"""Stages and flags at the one enforcement point: a PolicyEngine wrapper.

For each tool call, the capability that owns the tool (from the matrix) decides, with its
live stage and flags, read fresh on every call:

========================  ===========================================================
stage                     what the call gets (on top of the agent's policy)
========================  ===========================================================
``disabled``              denied
``shadow``                writes are simulated: answered, marked, never executed
``assist``                external and irreversible writes simulated; reviewers see them
``approval_required``     every write needs a human, whatever the rules waive
``limited``               inside the cohort as the rules say; outside, approval_required
``expanded`` and above    as the rules say (rules may waive approval at their stages)
========================  ===========================================================

A run's own stage (`engine.run(..., stage="shadow")`) caps the capability's: a run may
ask for less autonomy than the capability has (a shadow run on past tickets), never more.

Flags: `agent_enabled` off denies everything; a capability's `enabled` off denies its
tools; `read_tools_enabled` / `write_tools_enabled` off deny reads / writes;
`auto_action_enabled` off turns every unattended write into one that needs approval.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from earned.digest import digest
from earned.policy import DEFAULT_APPROVERS, CallRequest, Decision, PolicyEngine, ResultDecision
from earned.rollout._matrix import CapabilityMatrix, CapabilitySpec, CohortSpec
from earned.rollout._state import RolloutStore
from earned.stages import Stage
from earned.tools import RiskClass

__all__ = ["StagedPolicy", "capped_stage", "in_cohort"]

_SIMULATED_IN_ASSIST = {RiskClass.EXTERNAL_WRITE, RiskClass.IRREVERSIBLE}


def in_cohort(cohort: CohortSpec, attributes: dict[str, Any]) -> bool:
    """True when the attributes put the run in the cohort (sticky for percentages)."""
    value = attributes.get(cohort.by)
    if value is None:
        return False
    if cohort.values:
        return str(value) in cohort.values
    bucket = int(digest(["cohort", cohort.by, str(value)])[:8], 16) % 10_000
    return bucket < (cohort.percent or 0) * 100


def capped_stage(live: Stage, asked: str | None) -> Stage:
    """The stage a run acts at: the capability's live stage, capped by the run's own.

    A run may ask for less autonomy than the capability has (a shadow run on past tickets,
    a replay), never for more; a run without a stage (or with one that is not a stage) gets
    the live stage.
    """
    if asked is not None and asked in Stage.__members__.values() and Stage(asked).rank < live.rank:
        return Stage(asked)
    return live


def _simulates(stage: Stage, request: CallRequest) -> bool:
    if not request.risk.is_write:
        return False
    return stage is Stage.SHADOW or (stage is Stage.ASSIST and request.risk in _SIMULATED_IN_ASSIST)


class StagedPolicy:
    """The agent's policy, under the capability matrix's live stages and flags."""

    def __init__(self, inner: PolicyEngine, matrix: CapabilityMatrix, store: RolloutStore) -> None:
        self.inner = inner
        self.matrix = matrix
        self.store = store

    @property
    def version(self) -> str:
        """The inner policy's version and the matrix's."""
        return f"{self.inner.version}+{self.matrix.version}"

    def check_call(self, request: CallRequest) -> Decision:
        """Decide under the owning capability's live stage and flags."""
        spec = self.matrix.capability_for_tool(request.tool)
        if spec is None:
            return self._decide(
                "deny",
                "matrix:unassigned",
                f"no capability in "
                f"{self.matrix.version} grants {request.tool}; add it to one "
                "capability's tools",
                None,
                None,
            )
        live, flags = self.store.snapshot(spec.name)
        stage = self._effective(spec, live or spec.stage, request)
        refused = self._flags(spec, stage, flags, request)
        if refused is not None:
            return refused
        # A simulated write is judged as it would be at the first stage that acts: a rule
        # that would deny it for real denies it in shadow too (shadow shows that).
        asked = Stage.APPROVAL_REQUIRED if _simulates(stage, request) else stage
        decision = self.inner.check_call(replace(request, stage=asked.value, capability=spec.name))
        decision = self._floor(spec, stage, request, decision)
        if (
            decision.effect == "allow"
            and request.risk.is_write
            and not flags.get("auto_action_enabled", True)
        ):
            decision = self._approval(
                decision,
                "flag:auto_action_enabled",
                "unattended actions are switched off (flag auto_action_enabled)",
            )
        return replace(decision, capability=spec.name, stage=stage.value)

    def check_result(self, request: CallRequest, value: Any) -> ResultDecision:
        """The inner policy's after-call check."""
        return self.inner.check_result(request, value)

    # -- pieces ---------------------------------------------------------------------------

    def _decide(
        self, effect: Any, rule: str, reason: str, spec: CapabilitySpec | None, stage: Stage | None
    ) -> Decision:
        return Decision(
            effect=effect,
            rule_id=rule,
            reason=reason,
            policy_version=self.version,
            capability=spec.name if spec else None,
            stage=stage.value if stage else None,
        )

    def _approval(self, decision: Decision, rule: str, reason: str) -> Decision:
        return replace(
            decision,
            effect="require_approval",
            rule_id=rule,
            reason=reason,
            approvers=decision.approvers or DEFAULT_APPROVERS,
            approval_waived=False,
        )

    @staticmethod
    def _effective(spec: CapabilitySpec, stage: Stage, request: CallRequest) -> Stage:
        stage = capped_stage(stage, request.stage)
        if stage is not Stage.LIMITED or spec.cohort is None:
            return stage
        attributes = {"tenant": request.tenant, "user": request.user, **request.attributes}
        return stage if in_cohort(spec.cohort, attributes) else Stage.APPROVAL_REQUIRED

    def _flags(
        self, spec: CapabilitySpec, stage: Stage, flags: dict[str, bool], request: CallRequest
    ) -> Decision | None:
        checks = [
            ("agent_enabled", "the agent is switched off (flag agent_enabled)"),
            (f"{spec.name}/enabled", f"capability {spec.name} is switched off"),
        ]
        if request.risk.is_write:
            checks.append(
                ("write_tools_enabled", "writes are switched off (flag write_tools_enabled)")
            )
        else:
            checks.append(
                ("read_tools_enabled", "read tools are switched off (flag read_tools_enabled)")
            )
        for name, reason in checks:
            if not flags.get(name, True):
                return self._decide("deny", f"flag:{name}", reason, spec, stage)
        return None

    def _floor(
        self, spec: CapabilitySpec, stage: Stage, request: CallRequest, decision: Decision
    ) -> Decision:
        if decision.effect == "deny":
            return decision
        if stage is Stage.DISABLED:
            return self._decide(
                "deny", "stage:disabled", f"capability {spec.name} is disabled", spec, stage
            )
        if _simulates(stage, request):
            return self._decide(
                "simulate",
                f"stage:{stage.value}",
                f"capability {spec.name} is at {stage.value}: the write is simulated, not executed",
                spec,
                stage,
            )
        if stage is Stage.APPROVAL_REQUIRED and request.risk.is_write and decision.allowed:
            return self._approval(
                decision,
                "stage:approval_required",
                f"capability {spec.name} is at approval_required: every write needs a human",
            )
        return decision
