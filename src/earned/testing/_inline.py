"""Run an agent in-process without durability: fast unit tests of your agent's logic."""

from __future__ import annotations

from typing import Any

from earned.models import ModelRegistry, PriceTable, default_registry
from earned.runtime import (
    Agent,
    InlineSteps,
    MemorySink,
    Principal,
    RunLimits,
    RunRequest,
    RunResult,
    Services,
    execute_run,
)

__all__ = ["run_inline"]


async def run_inline(
    agent: Agent,
    input: Any = None,
    *,
    principal: Principal | None = None,
    capability: str | None = None,
    stage: str | None = None,
    environment: str = "dev",
    limits: RunLimits | None = None,
    sink: MemorySink | None = None,
    approvals: Any = None,
    deps: Any = None,
    registry: ModelRegistry | None = None,
    prices: PriceTable | None = None,
    run_id: str | None = None,
    breakers: Any = None,
) -> RunResult:
    """Run `agent` through the same guarded path as the engine, with no checkpoints.

    Pass a MemorySink to inspect the events, and `breakers` (an `earned.guards.Breakers`)
    to run under circuit breakers (none by default). This is for tests of agent logic;
    durable behaviour (recovery, approvals that wait) needs the Engine.
    """
    fields: dict[str, Any] = {
        "agent": agent.name,
        "input": input,
        "principal": principal or Principal(),
        "capability": capability or agent.capability,
        "stage": stage,
        "environment": environment,
        "limits": limits or agent.limits or RunLimits(),
    }
    if run_id:
        fields["run_id"] = run_id
    services = Services(
        steps=InlineSteps(),
        sink=sink or MemorySink(),
        registry=registry or default_registry(),
        prices=prices or PriceTable(),
        approvals=approvals,
        breakers=breakers,
        deps=deps,
    )
    return await execute_run(RunRequest.model_validate(fields), agent, services)
