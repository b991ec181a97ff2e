"""How an eval case is run: inline (the default) or on the durable engine.

Both run the agent through the same guarded path as production (policy, guards, budgets,
injection screening) and hand the evaluators the run's result and its events.

- `InlineExecutor` (default) runs each case in-process with no checkpoints, its events in
  memory. It is fast: no database write per step, so the runner's overhead stays small
  next to model latency. A crash loses only the cases in flight; the eval run resumes
  from the stored case results and re-runs those.
- `DurableExecutor` runs each case as a durable run on the `Engine` (DBOS): every model
  and tool call is checkpointed, the run and its spans land in `earned_runs` and
  `earned_spans` (so `earned runs show` and the console see them), and a crashed case
  resumes mid-run. It is slower (a database write per step; on SQLite, writes are
  serialised) and only one Engine may run per process.

Approval requests during an eval escalate the run (no human is waiting), which is what
gates expect: an agent that needed approval did not act on its own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from earned.models import ModelRegistry, PriceTable, default_registry
from earned.runtime import (
    Agent,
    Engine,
    InlineSteps,
    MemorySink,
    Principal,
    RunEvent,
    RunLimits,
    RunRequest,
    RunResult,
    Services,
    execute_run,
)

__all__ = [
    "CaseRun",
    "DurableExecutor",
    "Executor",
    "ExecutorKind",
    "InlineExecutor",
    "RunSettings",
]

ExecutorKind = Literal["inline", "durable"]


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """How every case of an eval run is run: model override, principal, stage, limits."""

    model: str | None = None
    principal: Principal = field(default_factory=Principal)
    capability: str | None = None
    stage: str | None = None
    environment: str = "dev"
    limits: RunLimits | None = None
    deps: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form recorded with the eval run (deps left out)."""
        return {
            "model": self.model,
            "principal": self.principal.model_dump(),
            "capability": self.capability,
            "stage": self.stage,
            "environment": self.environment,
            "limits": None if self.limits is None else self.limits.model_dump(),
        }


@dataclass(frozen=True, kw_only=True)
class CaseRun:
    """What running one case produced: the result and every event of the run."""

    result: RunResult
    events: tuple[RunEvent, ...] = ()


class Executor(Protocol):
    """Runs one case of an eval; used as an async context manager around the eval run."""

    async def __aenter__(self) -> Executor: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def run(self, agent: Agent, input: Any, *, run_id: str) -> CaseRun:
        """Run `agent` on `input` as run `run_id`."""
        ...


class InlineExecutor:
    """Runs cases in-process without checkpoints; each case gets fresh services."""

    def __init__(
        self,
        settings: RunSettings,
        *,
        registry: ModelRegistry | None = None,
        prices: PriceTable | None = None,
    ) -> None:
        self.settings = settings
        self._registry = registry or default_registry()
        self._prices = prices or PriceTable()

    async def __aenter__(self) -> InlineExecutor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def run(self, agent: Agent, input: Any, *, run_id: str) -> CaseRun:
        """Run one case through the guarded path; its events stay in memory."""
        settings = self.settings
        sink = MemorySink()
        services = Services(
            steps=InlineSteps(),
            sink=sink,
            registry=self._registry,
            prices=self._prices,
            deps=settings.deps,
        )
        request = RunRequest(
            run_id=run_id,
            agent=agent.name,
            input=input,
            principal=settings.principal,
            capability=settings.capability or agent.capability,
            stage=settings.stage,
            environment=settings.environment,
            model=settings.model,
            limits=settings.limits or agent.limits or RunLimits(),
        )
        result = await execute_run(request, agent, services)
        return CaseRun(result=result, events=tuple(sink.events(run_id)))


class DurableExecutor:
    """Runs cases as durable runs on an Engine launched for the eval run."""

    def __init__(
        self,
        agent: Agent,
        settings: RunSettings,
        *,
        database_url: str | None = None,
        registry: ModelRegistry | None = None,
        prices: PriceTable | None = None,
    ) -> None:
        self.settings = settings
        self._engine = Engine(
            [agent],
            database_url=database_url,
            environment=settings.environment,
            deps=settings.deps,
            registry=registry,
            prices=prices,
        )

    async def __aenter__(self) -> DurableExecutor:
        await self._engine.launch()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._engine.shutdown()

    async def run(self, agent: Agent, input: Any, *, run_id: str) -> CaseRun:
        """Run one case durably (a finished run id returns its stored result)."""
        settings = self.settings
        result = await self._engine.run(
            agent,
            input,
            run_id=run_id,
            principal=settings.principal,
            capability=settings.capability,
            stage=settings.stage,
            model=settings.model,
            limits=settings.limits,
        )
        events = await asyncio.to_thread(self._engine.spans.spans, run_id)
        return CaseRun(result=result, events=tuple(events))
