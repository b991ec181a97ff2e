"""What a running engine asks of the rollout: the enforced policy and the live switches.

One `Rollout` per engine: it holds the matrix and the store, wraps each agent policy in a
`StagedPolicy` (once per policy), and answers the checks the runtime makes outside tool
calls: before a model call (`agent_enabled`, the capability's `enabled`), before a plan
(`planner_enabled`), and before a run hands back a draft (`draft_generation_enabled`).
"""

from __future__ import annotations

from typing import Any

from earned.errors import SwitchedOff
from earned.policy import PolicyEngine
from earned.rollout._enforce import StagedPolicy
from earned.rollout._matrix import CapabilityMatrix
from earned.rollout._sources import FlagSource, SourcedStore
from earned.rollout._state import AGENT_SCOPE, ENABLED, RolloutStore

__all__ = ["Rollout"]


class Rollout:
    """The capability matrix and its live state, as one engine sees them.

    With a `flag_source` (flagd, Unleash, ... through OpenFeature), every flag read also
    asks it, and a flag is off when either the store or the source says off.
    """

    def __init__(
        self,
        matrix: CapabilityMatrix,
        store: RolloutStore,
        *,
        flag_source: FlagSource | None = None,
    ) -> None:
        self.matrix = matrix
        self.store = store if flag_source is None else SourcedStore(store, flag_source)
        self._policies: dict[int, tuple[PolicyEngine, StagedPolicy]] = {}

    def enforce(self, policy: PolicyEngine) -> StagedPolicy:
        """`policy` under the matrix's stages and flags (the same wrapper every call)."""
        cached = self._policies.get(id(policy))
        if cached is None or cached[0] is not policy:
            cached = (policy, StagedPolicy(policy, self.matrix, self.store))
            self._policies[id(policy)] = cached
        return cached[1]

    def flag(self, name: str, *, capability: str | None = None) -> bool:
        """A flag's live value: `name` agent-wide, or `capability/name`; unknown flags are on."""
        scope = AGENT_SCOPE
        if "/" in name:
            scope, name = name.split("/", 1)
        elif capability is not None and name == ENABLED:
            scope = capability
        for flag in self.store.flags(scope):
            if flag.name == name:
                return flag.enabled
        return True

    def require(self, name: str, why: str, **details: Any) -> None:
        """Raise `SwitchedOff` (the run escalates) when the flag is off."""
        if not self.flag(name):
            raise SwitchedOff(f"{why} (flag {name} is off)", flag=name, **details)

    def before_model_call(self, capability: str | None) -> None:
        """Stop a run whose agent, or whose capability, was switched off."""
        self.require("agent_enabled", "the agent is switched off")
        known = capability is not None and capability in self.matrix.capabilities
        if known and not self.flag(f"{capability}/{ENABLED}"):
            raise SwitchedOff(
                f"capability {capability} is switched off", flag=f"{capability}/{ENABLED}"
            )
