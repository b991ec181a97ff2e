"""Replay: re-run a recorded run with another prompt, model or tool set, deterministically.

```python
from earned.replay import Replayer

async with Replayer(db, agent, model="openai:gpt-4.1") as replayer:
    result = await replayer.replay("run_6b01...")
print(result.identical, result.diff.to_dict(), [d.to_dict() for d in result.divergences])
```

The replay runs the given agent (with `prompt` as its instructions, and `model` as the
run's model, when given) on the recorded input, with the recorded principal, capability,
stage and limits. Tool calls are answered from the recording (`earned.replay._serve`): a
call the recording lacks is a divergence, answered with a `not_recorded` error and never
executed; approvals get the recorded human decision; checkpointed steps (clocks, random
draws, flags) their recorded values. Model calls run. The replay is stored as its own run
(`replay_...`, correlation id = the recorded run) and compared with the recording.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from earned.rehearsals import is_rehearsal, new_rehearsal_id
from earned.replay._diff import RunDiff, diff_runs
from earned.replay._progress import ProgressReporter
from earned.replay._recording import Recording, load_recording
from earned.replay._rehearse import RehearsalStore, default_redactor
from earned.replay._serve import (
    Divergence,
    RecordedExecutor,
    RecordedGate,
    RecordedSteps,
    ReplaySession,
)
from earned.runtime import Agent, RunLimits, RunRequest, RunResult, Services
from earned.runtime import _durable as durable
from earned.store import Database, RunRecord
from earned.tracing import TraceQuery, TraceStore

__all__ = ["BatchReplay", "ReplayResult", "Replayer", "with_prompt"]


def with_prompt(agent: Agent, prompt: str | None) -> Agent:
    """A copy of `agent` whose instructions are `prompt` (its prompt version is rehashed)."""
    if prompt is None:
        return agent
    clone = copy.copy(agent)
    vars(clone).update(instructions=prompt, _prompt_version=None)
    return clone


@dataclass(frozen=True, kw_only=True)
class ReplayResult:
    """A replay: the recorded run, the replayed one, what diverged and what changed."""

    original_run_id: str
    run_id: str
    agent: str
    status: str
    source: str
    input_exact: bool
    calls_recorded: int
    calls_served: int
    divergences: tuple[Divergence, ...]
    diff: RunDiff
    seconds: float
    problem: str | None = None

    @property
    def identical(self) -> bool:
        """True when nothing diverged and status, decisions, calls and output are the same."""
        return not self.divergences and self.diff.same

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (`earned replay --json`)."""
        return {
            "original_run_id": self.original_run_id,
            "run_id": self.run_id,
            "agent": self.agent,
            "status": self.status,
            "identical": self.identical,
            "source": self.source,
            "input_exact": self.input_exact,
            "calls_recorded": self.calls_recorded,
            "calls_served": self.calls_served,
            "divergences": [d.to_dict() for d in self.divergences],
            "diff": self.diff.to_dict(),
            "seconds": self.seconds,
            "problem": self.problem,
        }


@dataclass(frozen=True, kw_only=True)
class BatchReplay:
    """The replays of many recorded runs, with a summary."""

    batch: str
    results: tuple[ReplayResult, ...]
    seconds: float
    failures: dict[str, str] = field(default_factory=dict[str, str])

    @property
    def identical(self) -> int:
        """Replays that reproduced their recording exactly."""
        return sum(1 for r in self.results if r.identical)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (`earned replay batch --json`)."""
        changed = [r for r in self.results if r.diff.decision is not None]
        return {
            "batch": self.batch,
            "replayed": len(self.results),
            "identical": self.identical,
            "diverged": sum(1 for r in self.results if r.divergences),
            "decision_changed": len(changed),
            "status_changed": sum(1 for r in self.results if r.diff.status is not None),
            "failures": self.failures,
            "seconds": self.seconds,
            "results": [r.to_dict() for r in self.results],
        }


class Replayer:
    """Replays recorded runs with `agent` (and an optional prompt or model override)."""

    def __init__(
        self,
        db: Database,
        agent: Agent,
        *,
        prompt: str | None = None,
        model: str | None = None,
        live_steps: bool = False,
        registry: Any = None,
        prices: Any = None,
        deps: Any = None,
        redactor: Any = None,
        records: Any = None,
    ) -> None:
        self.db = db
        self.agent = with_prompt(agent, prompt)
        self.model = model
        self.live_steps = live_steps
        self.batch = new_rehearsal_id("replay").replace("replay_", "rpb_", 1)
        self._store = RehearsalStore(db, redactor=redactor or default_redactor([agent]))
        self._own_records = records is None
        self._records = records if records is not None else durable.RecordedRuns(db.url)
        self._base = Services(deps=deps, redactor=self._store.redactor, sink=self._store.sink)
        if registry is not None:
            self._base.registry = registry
        if prices is not None:
            self._base.prices = prices
        if model is not None:
            self._base.registry.resolve(model)  # a bad model string fails here

    async def __aenter__(self) -> Replayer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Write the remaining spans and release the durable records' connections."""
        await asyncio.to_thread(self._store.close)
        if self._own_records:
            await asyncio.to_thread(self._records.close)

    async def replay(self, run_id: str) -> ReplayResult:
        """Replay recorded run `run_id` and compare the replay with it."""
        started = time.perf_counter()
        recording = await asyncio.to_thread(load_recording, self.db, run_id, records=self._records)
        session = ReplaySession(
            recording=recording, redactor=self._store.redactor, live_steps=self.live_steps
        )
        services = replace(
            self._base,
            steps=RecordedSteps(session),
            approvals=RecordedGate(session),
            tool_executor=RecordedExecutor(session),
        )
        request = self._request(recording)
        result, events = await self._store.run(request, self.agent, services)
        divergences = (*session.divergences, *session.unused())
        stored = await asyncio.to_thread(self._store.runs.get, request.run_id)
        diff = diff_runs(
            _result_of(recording.run), recording.events, _stored(stored, result), events
        )
        self._store.note(
            request.run_id,
            "replay_comparison",
            batch=self.batch,
            original_run_id=run_id,
            identical=not divergences and diff.same,
            divergences=len(divergences),
            source=recording.source,
        )
        return ReplayResult(
            original_run_id=run_id,
            run_id=request.run_id,
            agent=self.agent.name,
            status=result.status,
            source=recording.source,
            input_exact=recording.input_exact,
            calls_recorded=len(recording.calls),
            calls_served=session.served,
            divergences=divergences,
            diff=diff,
            seconds=time.perf_counter() - started,
            problem=recording.problem if recording.source == "spans" else None,
        )

    def _request(self, recording: Recording) -> RunRequest:
        run = recording.run
        return RunRequest(
            run_id=new_rehearsal_id("replay"),
            agent=self.agent.name,
            input=recording.input,
            principal=run.principal,
            capability=run.capability,
            stage=run.stage,
            environment=run.environment or "dev",
            model=self.model or run.model,
            limits=RunLimits.model_validate(run.limits or {}),
            request_id=self.batch,
            correlation_id=run.run_id,
        )

    async def replay_many(
        self,
        runs: TraceQuery | Iterable[str],
        *,
        concurrency: int = 4,
        progress: ProgressReporter | None = None,
    ) -> BatchReplay:
        """Replay every run (ids, or those a query finds; shadow and replay runs left out)."""
        ids = await asyncio.to_thread(self._ids, runs)
        started = time.perf_counter()
        gate = asyncio.Semaphore(max(1, concurrency))
        failures: dict[str, str] = {}
        if progress is not None:
            progress.start(f"replay {self.agent.name}", total=len(ids))

        async def one(run_id: str) -> ReplayResult | None:
            async with gate:
                try:
                    found = await self.replay(run_id)
                except Exception as exc:  # one bad recording must not stop the batch
                    failures[run_id] = f"{type(exc).__name__}: {exc}"
                    found = None
            if progress is not None:
                progress.advance(found is None or not found.identical)
            return found

        try:
            done = await asyncio.gather(*(one(run_id) for run_id in ids))
        finally:
            if progress is not None:
                progress.stop()
        await asyncio.to_thread(self._store.flush)
        return BatchReplay(
            batch=self.batch,
            results=tuple(r for r in done if r is not None),
            seconds=time.perf_counter() - started,
            failures=failures,
        )

    def _ids(self, runs: TraceQuery | Iterable[str]) -> list[str]:
        if not isinstance(runs, TraceQuery):
            return [r for r in runs if not is_rehearsal(r)]
        found: list[str] = []
        traces, offset = TraceStore(self.db), runs.offset
        while len(found) < runs.limit:
            page = traces.search(replace(runs, offset=offset, limit=1000))
            found += [s.run_id for s in page if not is_rehearsal(s.run_id)]
            if len(page) < 1000:
                break
            offset += len(page)
        return found[: runs.limit]


def _result_of(record: RunRecord) -> RunResult:
    """The recorded run's result (a run that has not ended reads as it stands)."""
    if record.finished:
        return record.to_result()
    return RunResult(
        run_id=record.run_id,
        agent=record.agent,
        status=record.status,  # pyright: ignore[reportArgumentType]  # a stored status
        output=record.output,
        decisions=record.decisions or [],
        versions=record.versions or {},
    )


def _stored(record: RunRecord | None, result: RunResult) -> RunResult:
    """The replay's result as stored (redacted like the recording), else as returned."""
    return result if record is None else record.to_result()
