"""Which versions a run uses: chosen once, when it starts, from its capability's pins.

The engine puts a `VersionResolver` in `Services.versions`. When a run of a capability
starts, `choose` reads the capability's pins (fresh: a rollback applies to the next run
that starts, in every worker) and decides, for each pinned kind, the pinned version or
its canary. The choice is the run's first checkpointed step, so a recovered run replays
the choice it made before the crash, whatever the pins say now.

A choice applies to the contexts of the agent the pinned version belongs to (its name):
the pinned prompt replaces the agent's instructions (`ctx.instructions`), the pinned model
its model (`ctx.resolve_model`; a model given to the run explicitly still wins), the
pinned policy its policy (`ctx.policy`), the pinned tool set the tools it may use
(`ctx.tools`, by name). At launch the engine records what each agent is made of, as
versions (author `earned`, message "seen at launch").

Canary assignment is sticky: a key (the run's tenant by default, its user, or a field of
its input) is hashed with the capability's name into a bucket 0-9999 (`in_cohort`), and the
canary serves the buckets below percent x 100, so growing 5% to 20% keeps the first keys
in. A run without the key gets the pinned version.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from earned.errors import UserError
from earned.rollout._enforce import in_cohort
from earned.rollout._matrix import CohortSpec
from earned.rollout._versions import (
    LAUNCH_AUTHOR,
    LAUNCH_MESSAGE,
    PYTHON_POLICY_KEY,
    SHORT,
    Pin,
    VersionStore,
)

if TYPE_CHECKING:
    from earned.policy import PolicyEngine
    from earned.rollout._matrix import CapabilityMatrix
    from earned.runtime import Agent
    from earned.tools import Tool

__all__ = ["ChosenVersion", "RunVersions", "VersionResolver", "canary_attributes"]


@dataclass(frozen=True, kw_only=True)
class ChosenVersion:
    """The version of one kind a run uses, and whether it is the canary."""

    kind: str
    name: str
    digest: str
    canary: bool = False
    label: str = ""

    @property
    def short(self) -> str:
        """The first 12 hex digits of the digest."""
        return self.digest[:SHORT]


@dataclass(frozen=True, kw_only=True)
class RunVersions:
    """The versions one run uses, chosen when it started (checkpointed)."""

    capability: str
    chosen: dict[str, ChosenVersion] = field(default_factory=dict)

    @property
    def variant(self) -> str:
        """`canary` when any kind serves its canary, else `pinned`."""
        return "canary" if any(c.canary for c in self.chosen.values()) else "pinned"

    @property
    def pins(self) -> str:
        """The versions as one label, `kind:digest12,...` (what compare groups runs by)."""
        return pins_label({k: c.digest for k, c in self.chosen.items()})

    def of(self, kind: str, agent: str) -> ChosenVersion | None:
        """The version of `kind` chosen for the agent named `agent`, or None."""
        found = self.chosen.get(kind)
        return found if found is not None and found.name == agent else None

    def apply(self, versions: dict[str, str], agent: str) -> dict[str, str]:
        """An agent's `versions()` with the chosen versions in place, plus variant and pins."""
        out = dict(versions)
        for kind, chosen in self.chosen.items():
            if chosen.name == agent:
                out[kind] = chosen.label or f"sha256:{chosen.short}"
        out["variant"] = self.variant
        out["pins"] = self.pins
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the checkpoint)."""
        return {
            "capability": self.capability,
            "chosen": {k: dict(c.__dict__) for k, c in self.chosen.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunVersions:
        """Read the JSON form back."""
        chosen = {k: ChosenVersion(**v) for k, v in data.get("chosen", {}).items()}
        return cls(capability=data["capability"], chosen=chosen)


def pins_label(digests: dict[str, str]) -> str:
    """`kind:digest12` for each kind, sorted, comma-separated."""
    return ",".join(f"{kind}:{digests[kind][:SHORT]}" for kind in sorted(digests))


def canary_attributes(principal: Any, run_input: Any) -> dict[str, Any]:
    """What a canary can be keyed by: tenant, user, and the input's scalar fields."""
    if hasattr(run_input, "model_dump"):
        run_input = run_input.model_dump(mode="json")
    fields: dict[str, Any] = {}
    if isinstance(run_input, dict):
        scalars = (str, int, float, bool)
        fields = {str(k): v for k, v in run_input.items() if isinstance(v, scalars)}
    return {
        **fields,
        "tenant": getattr(principal, "tenant", None),
        "user": getattr(principal, "user", None),
    }


def in_canary(pin: Pin, attributes: dict[str, Any]) -> bool:
    """True when the key's bucket (salted by the capability) is inside the canary share."""
    if not pin.has_canary:
        return False
    by = pin.canary_by or "tenant"
    salted = f"{pin.capability}:{by}"
    cohort = CohortSpec(by=salted, percent=pin.canary_percent)
    return in_cohort(cohort, {salted: attributes.get(by)})


class VersionResolver:
    """Chooses a run's versions from the pins and serves their contents (cached)."""

    def __init__(
        self,
        store: VersionStore,
        *,
        ttl: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`ttl` > 0 caches each capability's pins that many seconds (default: fresh)."""
        self.store = store
        self.ttl = ttl
        self.clock = clock
        self._pins: dict[str, tuple[float, list[Pin]]] = {}
        self._contents: dict[tuple[str, str, str], str] = {}
        self._policies: dict[tuple[int, str], PolicyEngine] = {}
        self._tools: dict[tuple[int, str], tuple[Tool[Any, Any], ...]] = {}

    # -- choosing -------------------------------------------------------------------------

    def pins(self, capability: str) -> list[Pin]:
        """The capability's pins, read fresh (or at most `ttl` seconds old)."""
        now = self.clock()
        cached = self._pins.get(capability)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        found = self.store.pins(capability)
        if self.ttl > 0:
            self._pins[capability] = (now, found)
        return found

    def choose(self, capability: str, principal: Any, run_input: Any) -> dict[str, Any]:
        """The versions a run of `capability` uses, as JSON (the run checkpoints it)."""
        pins = self.pins(capability)
        attributes = canary_attributes(principal, run_input) if pins else {}
        chosen: dict[str, Any] = {}
        for pin in pins:
            canary = in_canary(pin, attributes)
            digest = pin.canary_digest if canary and pin.canary_digest else pin.digest
            label = f"sha256:{digest[:SHORT]}"
            if pin.kind == "model":
                label = self.content(pin.kind, pin.name, digest).strip()
            chosen[pin.kind] = ChosenVersion(
                kind=pin.kind, name=pin.name, digest=digest, canary=canary, label=label
            )
        return RunVersions(capability=capability, chosen=chosen).to_dict()

    @staticmethod
    def load(data: dict[str, Any] | None) -> RunVersions | None:
        """A checkpointed choice back as RunVersions (None when nothing is pinned)."""
        if not data or not data.get("chosen"):
            return None
        return RunVersions.from_dict(data)

    # -- what the chosen versions are -----------------------------------------------------

    def content(self, kind: str, name: str, digest: str) -> str:
        """A version's content (versions never change: cached for good)."""
        key = (kind, name, digest)
        found = self._contents.get(key)
        if found is None:
            found = self._contents[key] = self.store.get(digest, kind=kind, name=name).content
        return found

    def prompt(self, versions: RunVersions, agent: Agent) -> str | None:
        """The pinned instructions for `agent`, or None."""
        chosen = versions.of("prompt", agent.name)
        return None if chosen is None else self.content("prompt", chosen.name, chosen.digest)

    def model(self, versions: RunVersions, agent: Agent) -> str | None:
        """The pinned `provider:model` string for `agent`, or None."""
        chosen = versions.of("model", agent.name)
        if chosen is None:
            return None
        return self.content("model", chosen.name, chosen.digest).strip()

    def policy(self, versions: RunVersions, agent: Agent) -> PolicyEngine | None:
        """The pinned policy for `agent`, loaded with its tools and named checks, or None."""
        chosen = versions.of("policy", agent.name)
        if chosen is None:
            return None
        key = (id(agent), chosen.digest)
        found = self._policies.get(key)
        if found is None:
            found = self._policies[key] = _load_policy(
                agent, self.content("policy", chosen.name, chosen.digest), chosen
            )
        return found

    def tools(self, versions: RunVersions, agent: Agent) -> tuple[Tool[Any, Any], ...] | None:
        """The agent's tools the pinned tool set names, or None (all of them)."""
        chosen = versions.of("tools", agent.name)
        if chosen is None:
            return None
        key = (id(agent), chosen.digest)
        found = self._tools.get(key)
        if found is None:
            found = self._tools[key] = _select_tools(
                agent, self.content("tools", chosen.name, chosen.digest), chosen
            )
        return found

    # -- launch ---------------------------------------------------------------------------

    def record_launch(
        self, agents: Iterable[Agent], matrix: CapabilityMatrix | None = None
    ) -> None:
        """Record what each agent is made of (and the matrix) as versions seen at launch."""
        for agent in agents:
            record_agent(self.store, agent)
        if matrix is not None:
            self.store.record(
                "matrix",
                matrix.name,
                _matrix_content(matrix),
                author=LAUNCH_AUTHOR,
                message=LAUNCH_MESSAGE,
            )


def record_agent(store: VersionStore, agent: Agent) -> dict[str, Any]:
    """Record the agent's prompt, model, tools and policy, and its record (kind `agent`)."""
    uses: dict[str, str | None] = {}
    for kind, content in agent_contents(agent).items():
        if content is None:
            uses[kind] = None
            continue
        version = store.record(
            kind, agent.name, content, author=LAUNCH_AUTHOR, message=LAUNCH_MESSAGE
        )
        uses[kind] = version.digest
    record = {
        "agent": agent.name,
        "capability": agent.capability,
        "pattern": type(agent).__name__,
        "prompt_version": agent.versions().get("prompt"),
        "uses": uses,
    }
    store.record(
        "agent", agent.name, record, author=LAUNCH_AUTHOR, message=LAUNCH_MESSAGE, touch=True
    )
    return record


def agent_contents(agent: Agent) -> dict[str, Any]:
    """What the agent is made of, per kind, as version contents (None: it has none)."""
    model = agent.model if isinstance(agent.model, str) or agent.model is None else None
    if model is None and agent.model is not None:
        model = getattr(agent.model, "name", None)
    tools = [
        {
            "name": t.name,
            "risk": t.risk.value,
            "description": t.definition.description,
            "parameters": t.definition.parameters,
            "digest": t.digest,
        }
        for t in sorted(agent.tools, key=lambda t: t.name)
    ]
    return {
        "prompt": agent.instructions,
        "model": model,
        "tools": tools or None,
        "policy": _policy_content(agent.policy),
    }


def _policy_content(policy: Any) -> Any:
    source = getattr(policy, "source", None)
    if source:
        path = Path(source)
        if path.is_file():
            return path.read_text(encoding="utf-8")
    rules = getattr(policy, "rules", None)
    return {
        PYTHON_POLICY_KEY: True,
        "version": policy.version,
        "rules": [r.fingerprint() for r in rules] if rules is not None else None,
    }


def _matrix_content(matrix: CapabilityMatrix) -> Any:
    if matrix.source and Path(matrix.source).is_file():
        return Path(matrix.source).read_text(encoding="utf-8")
    return {
        "name": matrix.name,
        "owner": matrix.owner,
        "capabilities": [c.model_dump(mode="json") for c in matrix.capabilities.values()],
    }


def _load_policy(agent: Agent, text: str, chosen: ChosenVersion) -> PolicyEngine:
    from earned.policy import Policy

    checks: dict[str, Any] = {}
    for rule in getattr(agent.policy, "rules", ()):
        if rule.predicate_name and rule.predicate is not None:
            checks[rule.predicate_name] = rule.predicate
        if rule.result_check_name and rule.result_check is not None:
            checks[rule.result_check_name] = rule.result_check
    source = f"policy/{chosen.name}@{chosen.short}"
    return Policy.from_yaml(text, tools=agent.tools, predicates=checks, source=source)


def _select_tools(agent: Agent, text: str, chosen: ChosenVersion) -> tuple[Tool[Any, Any], ...]:
    import json

    names = [item["name"] for item in json.loads(text)]
    missing = [n for n in names if agent.find_tool(n) is None]
    if missing:
        raise UserError(
            f"the pinned tool set {chosen.name}@{chosen.short} has {', '.join(missing)}, "
            f"which agent {agent.name!r} no longer has; roll the pin back "
            f"(`earned versions rollback CAPABILITY tools`) or deploy the tool again",
            agent=agent.name,
            missing=missing,
        )
    return tuple(t for t in agent.tools if t.name in names)
