"""What a run is asked to do (RunRequest) and how it ended (RunResult).

Both are Pydantic models with a schema version: the request is the durable workflow's
input and the result its output, so both are stored and must be readable later.
Changelog: version 1, the first format.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from earned.messages import Usage

__all__ = [
    "Escalation",
    "Principal",
    "RunLimits",
    "RunRequest",
    "RunResult",
    "RunStatus",
    "new_run_id",
]

#: The stored format of requests and results; readers refuse newer versions.
SCHEMA_VERSION = 1

RunStatus = Literal[
    "pending",
    "running",
    "waiting_approval",
    "completed",
    "escalated",
    "denied",
    "failed",
    "cancelled",
]

#: Statuses a run never leaves.
FINAL_STATUSES: frozenset[str] = frozenset(
    {"completed", "escalated", "denied", "failed", "cancelled"}
)


def new_run_id() -> str:
    """A fresh, sortable-enough run id (`run_` and 26 hex digits)."""
    return f"run_{int(time.time()):08x}{uuid.uuid4().hex[:18]}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Principal(_Model):
    """Who the run acts for: user, role and tenant (policy and tenancy checks use them)."""

    user: str | None = None
    role: str | None = None
    tenant: str | None = None


class RunLimits(_Model):
    """Execution guards for one run. None means no cap."""

    max_steps: int = Field(default=20, ge=1, description="model calls plus tool calls")
    max_tokens: int | None = Field(default=None, ge=1, description="input plus output tokens")
    max_cost: float | None = Field(default=None, ge=0, description="US dollars")
    deadline_seconds: float | None = Field(default=600.0, gt=0, description="whole-run deadline")
    model_timeout: float = Field(default=60.0, gt=0, description="seconds per model attempt")
    model_attempts: int = Field(default=3, ge=1, description="attempts on transient model errors")
    fallback_model: str | None = Field(
        default=None, description="cheaper model used when a call would break the budget"
    )


class RunRequest(_Model):
    """Everything a run needs to start or to be recovered: the durable workflow's input."""

    schema_version: int = SCHEMA_VERSION
    run_id: str = Field(default_factory=new_run_id)
    agent: str
    input: Any = None
    principal: Principal = Principal()
    capability: str | None = None
    stage: str | None = None
    environment: str = "dev"
    model: str | None = None
    limits: RunLimits = RunLimits()
    created_at: float = Field(default_factory=time.time)
    request_id: str | None = None
    correlation_id: str | None = None

    @property
    def deadline_at(self) -> float | None:
        """Absolute time the run must end by."""
        secs = self.limits.deadline_seconds
        return None if secs is None else self.created_at + secs


class Escalation(_Model):
    """Why a run was handed to a human, and what that human needs to pick it up."""

    reason: str
    kind: str = "escalate"
    details: dict[str, Any] = Field(default_factory=dict)
    tried: list[dict[str, Any]] = Field(default_factory=list)
    gathered: list[dict[str, Any]] = Field(default_factory=list)


class RunResult(_Model):
    """How a run ended, with its output or the reason it did not complete."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    agent: str
    status: RunStatus
    output: Any = None
    error: dict[str, Any] | None = None
    escalation: Escalation | None = None
    usage: Usage = Usage()
    cost: float = 0.0
    cost_known: bool = True
    steps: int = 0
    tainted: bool = False
    fallback: str | None = None
    decisions: list[dict[str, Any]] = Field(default_factory=list)
    versions: dict[str, str] = Field(default_factory=dict)
    principal: Principal = Principal()
    capability: str | None = None
    stage: str | None = None
    started_at: float = 0.0
    ended_at: float | None = None

    @property
    def ok(self) -> bool:
        """True when the run completed."""
        return self.status == "completed"
