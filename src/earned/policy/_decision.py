"""What policy is asked (a CallRequest) and what it answers (a Decision)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from earned.tools import RiskClass

__all__ = ["CallRequest", "Decision", "Effect", "ResultDecision"]

#: `simulate` (from stage enforcement, never from rules): the call is answered with a marked
#: simulated result and nothing runs; shadow mode acts on nothing.
Effect = Literal["allow", "deny", "require_approval", "simulate"]

#: Effects from least to most restrictive; when several rules match, the most restrictive wins.
EFFECT_ORDER: tuple[Effect, ...] = ("allow", "require_approval", "deny")


@dataclass(frozen=True, kw_only=True)
class CallRequest:
    """Everything policy may look at for one tool call.

    Nothing here comes from the model except the tool name and its validated arguments:
    the model's confidence or stated reason can never change a decision.
    """

    tool: str
    risk: RiskClass
    arguments: Mapping[str, Any] = field(default_factory=dict)
    tool_requires_approval: bool = False
    capability: str | None = None
    stage: str | None = None
    role: str | None = None
    tenant: str | None = None
    user: str | None = None
    environment: str = "dev"
    tainted: bool = False
    run_id: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Decision:
    """Policy's answer for one call, with the rule that decided and a reason a human can read."""

    effect: Effect
    rule_id: str
    reason: str
    policy_version: str
    approvers: tuple[str, ...] = ()
    approval_waived: bool = False
    returns: tuple[str, ...] | None = None
    capability: str | None = None
    stage: str | None = None

    @property
    def allowed(self) -> bool:
        """True when the call may run now without a human."""
        return self.effect == "allow"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form recorded on the run."""
        data = asdict(self)
        data["approvers"] = list(self.approvers)
        data["returns"] = list(self.returns) if self.returns is not None else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """Rebuild a decision from its JSON form."""
        returns = data.get("returns")
        return cls(
            effect=data["effect"],
            rule_id=data["rule_id"],
            reason=data["reason"],
            policy_version=data["policy_version"],
            approvers=tuple(data.get("approvers", ())),
            approval_waived=bool(data.get("approval_waived", False)),
            returns=tuple(returns) if returns is not None else None,
            capability=data.get("capability"),
            stage=data.get("stage"),
        )


@dataclass(frozen=True, kw_only=True)
class ResultDecision:
    """Policy's answer after a call returned: pass the result on, or withhold it."""

    withheld: bool = False
    rule_id: str | None = None
    reason: str | None = None
