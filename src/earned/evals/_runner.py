"""The eval runner: gates stored first, cases run concurrently, results stored, then judged.

Order of work for one suite of one capability:

1. the gate manifest is hashed and stored (with the time it was first seen) and the
   dataset stored by its hash, before any case runs: the gates are frozen;
2. an unfinished eval run with the same suite, capability, manifest hash, dataset hash and
   target (agent versions, model, run settings) is resumed: its stored cases are skipped;
3. the remaining cases run `concurrency` at a time; each is scored by every gate's
   evaluator on what the run really did, then stored in batches, redacted: its output,
   errors, score reasons and trace pass through the redactor first (one pseudonym table
   per case, as for a live trace), so no PII from a dataset reaches the database raw;
4. every stored case of the eval run is judged against the manifest, and the verdict and
   summary are stored with the eval run.

With the offline brain (a deterministic agent) the same inputs give the same scores.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from earned.digest import digest
from earned.evals._context import EvalContext
from earned.evals._dataset import Dataset
from earned.evals._evaluator import Score, run_evaluator
from earned.evals._executors import (
    CaseRun,
    DurableExecutor,
    Executor,
    ExecutorKind,
    InlineExecutor,
    RunSettings,
)
from earned.evals._gates import judge_gate
from earned.evals._history import compare_with_previous
from earned.evals._manifest import Gate, GateManifest
from earned.evals._records import CaseResult, EvalRunRecord, EvalRunStatus
from earned.evals._report import EvalReport
from earned.evals._scenario import Scenario
from earned.evals._store import EvalStore
from earned.models import Model, ModelRegistry, PriceTable
from earned.redaction import Redactor
from earned.runtime import Agent, RunEvent, RunResult

__all__ = ["EvalRunner", "EvalTarget", "Progress", "new_eval_run_id"]


def new_eval_run_id() -> str:
    """A fresh eval run id (`eval_` and hex digits, roughly time-ordered)."""
    return f"eval_{int(time.time()):08x}{uuid.uuid4().hex[:12]}"


class Progress(Protocol):
    """Receives progress as cases finish (the CLI shows a Rich progress bar)."""

    def start(self, description: str, *, total: int, done: int) -> None:
        """An eval run starts: `total` cases, `done` of them already stored."""
        ...

    def advance(self, passed: bool) -> None:
        """One more case finished."""
        ...

    def stop(self) -> None:
        """The eval run's cases are all done (or it was interrupted)."""
        ...


@dataclass(frozen=True, kw_only=True)
class EvalTarget:
    """What one eval run judges: an agent on a suite's dataset, against a manifest."""

    agent: Agent
    suite: str
    dataset: Dataset
    manifest: GateManifest
    split: str | None = None
    project: str | None = None
    settings: RunSettings = field(default_factory=RunSettings)

    @property
    def capability(self) -> str:
        """The capability the manifest gates."""
        return self.manifest.capability


class EvalRunner:
    """Runs eval targets and stores their results; see the module docstring."""

    def __init__(
        self,
        store: EvalStore,
        *,
        concurrency: int = 8,
        executor: ExecutorKind = "inline",
        judge_model: str | Model | None = None,
        registry: ModelRegistry | None = None,
        prices: PriceTable | None = None,
        resume: bool = True,
        progress: Progress | None = None,
        batch_size: int = 50,
        flush_seconds: float = 1.0,
        redactor: Redactor | None = None,
    ) -> None:
        if concurrency < 1 or batch_size < 1:
            from earned.errors import UserError

            raise UserError(
                f"concurrency and batch_size must be at least 1, got concurrency={concurrency}, "
                f"batch_size={batch_size}",
                concurrency=concurrency,
                batch_size=batch_size,
            )
        self.store = store
        self.concurrency = concurrency
        self.executor = executor
        self.judge_model = judge_model
        self.registry = registry
        self.prices = prices
        self.resume = resume
        self.progress = progress
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.redactor = redactor

    def _judge_name(self) -> str | None:
        model = self.judge_model
        return model if isinstance(model, str) or model is None else model.name

    def _target_hash(self, target: EvalTarget) -> str:
        return "sha256:" + digest(
            {
                "versions": target.agent.versions(),
                "settings": target.settings.to_dict(),
                "split": target.split,
                "judge_model": self._judge_name(),
            }
        )

    def _executor(self, target: EvalTarget) -> Executor:
        if self.executor == "durable":
            return DurableExecutor(
                target.agent,
                target.settings,
                database_url=self.store.db.url,
                registry=self.registry,
                prices=self.prices,
            )
        return InlineExecutor(target.settings, registry=self.registry, prices=self.prices)

    def _open(self, target: EvalTarget) -> EvalRunRecord:
        """Freeze the gates (store the manifest and dataset), then find or start the run."""
        self.store.save_manifest(target.manifest)
        self.store.save_dataset(target.dataset)
        keys = {
            "suite": target.suite,
            "capability": target.capability,
            "manifest_hash": target.manifest.hash,
            "dataset_hash": target.dataset.hash,
            "target_hash": self._target_hash(target),
        }
        if self.resume:
            found = self.store.find_resumable(**keys)
            if found is not None:
                return found
        return self._create(target, keys)

    def _create(self, target: EvalTarget, keys: dict[str, str]) -> EvalRunRecord:
        now = time.time()
        versions = {**target.agent.versions()}
        if target.settings.model:
            versions["model"] = target.settings.model
        record = EvalRunRecord(
            eval_run_id=new_eval_run_id(),
            project=target.project,
            agent=target.agent.name,
            split=target.split,
            model=target.settings.model or versions.get("model"),
            judge_model=self._judge_name(),
            versions=versions,
            settings={
                **target.settings.to_dict(),
                "executor": self.executor,
                "concurrency": self.concurrency,
            },
            cases=len(target.dataset),
            started_at=now,
            updated_at=now,
            suite=keys["suite"],
            capability=keys["capability"],
            manifest_hash=keys["manifest_hash"],
            dataset_hash=keys["dataset_hash"],
            target_hash=keys["target_hash"],
        )
        self.store.create_run(record)
        return record

    async def run(self, target: EvalTarget) -> EvalReport:
        """Run (or resume) one eval target and return its judged report."""
        record = await asyncio.to_thread(self._open, target)
        done = await asyncio.to_thread(self.store.done_case_ids, record.eval_run_id)
        todo = [(i, s) for i, s in enumerate(target.dataset) if s.id not in done]
        manifest = target.manifest.with_judge_model(self.judge_model)
        gates = manifest.gates_for(target.suite)
        writer = _Writer(
            self.store, record.eval_run_id, len(done), self.batch_size, self.flush_seconds
        )
        if self.progress is not None:
            self.progress.start(
                f"{target.capability}/{target.suite}", total=len(target.dataset), done=len(done)
            )
        try:
            async with self._executor(target) as executor:
                await self._run_cases(executor, target, record, gates, todo, writer)
            await writer.flush()
        except BaseException:
            await asyncio.shield(writer.close_interrupted())
            raise
        finally:
            if self.progress is not None:
                self.progress.stop()
        return await asyncio.to_thread(self._judge, record, target, gates)

    async def _run_cases(
        self,
        executor: Executor,
        target: EvalTarget,
        record: EvalRunRecord,
        gates: Sequence[Gate],
        todo: list[tuple[int, Scenario]],
        writer: _Writer,
    ) -> None:
        queue = list(reversed(todo))
        redactor = self.redactor or Redactor(
            sensitive_fields={f for t in target.agent.tools for f in t.sensitive}
        )

        async def worker() -> None:
            while queue:
                position, scenario = queue.pop()
                run_id = f"{record.eval_run_id}.{position:05d}"
                case = await _run_case(executor, target.agent, scenario, run_id)
                result = await _score(scenario, position, case, gates)
                await writer.add(_redacted(result, redactor))
                if self.progress is not None:
                    self.progress.advance(result.passed)

        async with asyncio.TaskGroup() as group:
            for _ in range(min(self.concurrency, len(todo))):
                group.create_task(worker())

    def _judge(
        self, record: EvalRunRecord, target: EvalTarget, gates: Sequence[Gate]
    ) -> EvalReport:
        cases = tuple(self.store.case_results(record.eval_run_id))
        scored = [c.scored() for c in cases]
        results = tuple(judge_gate(g, scored) for g in gates)
        version = self.store.manifest(target.manifest.hash)
        assert version is not None
        notes = _notes(target, gates) + tuple(
            f"{r.title} (optional) was skipped: {r.skip_reason}"
            for r in results
            if r.status == "skipped" and not r.required
        )
        draft = EvalReport(run=record, manifest=version, gates=results, cases=cases, notes=notes)
        self.store.finish_run(
            record.eval_run_id,
            verdict=draft.verdict,
            summary=draft.summary(),
            cases_done=len(cases),
        )
        finished = self.store.get_run(record.eval_run_id)
        assert finished is not None
        compared = compare_with_previous(self.store, finished)
        notes += compared.notes + tuple(f"regression: {r}" for r in compared.regressions)
        return EvalReport(run=finished, manifest=version, gates=results, cases=cases, notes=notes)


def _notes(target: EvalTarget, gates: Sequence[Gate]) -> tuple[str, ...]:
    notes: list[str] = []
    left_out = [g.eval for g in target.manifest.gates if g not in gates]
    if left_out:
        notes.append(f"gates not applied to suite {target.suite}: {', '.join(left_out)}")
    return tuple(notes)


async def _run_case(executor: Executor, agent: Agent, scenario: Scenario, run_id: str) -> CaseRun:
    try:
        return await executor.run(agent, scenario.input, run_id=run_id)
    except Exception as exc:  # the runtime turns agent errors into results; this is ours
        result = RunResult(
            run_id=run_id,
            agent=agent.name,
            status="failed",
            error={"type": type(exc).__name__, "message": str(exc), "transient": False},
        )
        return CaseRun(result=result)


async def _score(
    scenario: Scenario, position: int, case: CaseRun, gates: Sequence[Gate]
) -> CaseResult:
    ctx = EvalContext(scenario=scenario, result=case.result, events=case.events)
    scores: dict[str, Score] = {}
    for gate in gates:
        scores[gate.eval] = await run_evaluator(gate.evaluator, ctx)
    result = case.result
    return CaseResult(
        case_id=scenario.id,
        position=position,
        run_id=result.run_id,
        status=result.status,
        scores=scores,
        output=result.output,
        error=result.error
        or (None if result.escalation is None else {"escalation": result.escalation.reason}),
        trace=[_span(e) for e in ctx.ordered_events],
        cost=result.cost,
        cost_known=result.cost_known,
        turns=ctx.turns,
        steps=result.steps,
    )


def _redacted(result: CaseResult, redactor: Redactor) -> CaseResult:
    """What is stored of a case: output, errors, score reasons and trace, redacted."""
    scope = redactor.scope(result.run_id)
    trace = result.trace
    if trace is not None:
        trace = [
            {
                **span,
                "name": scope.text(span["name"]),
                "attributes": scope.value(span["attributes"]),
            }
            for span in trace
        ]
    return replace(
        result,
        output=scope.value(result.output),
        error=None if result.error is None else scope.value(result.error),
        scores={k: replace(v, reason=scope.text(v.reason)) for k, v in result.scores.items()},
        trace=trace,
    )


def _span(event: RunEvent) -> dict[str, Any]:
    """The JSON form of an event (shallow: `RunEvent.to_dict` deep-copies, and is slower)."""
    return {
        "run_id": event.run_id,
        "span_id": event.span_id,
        "parent_id": event.parent_id,
        "kind": event.kind,
        "name": event.name,
        "started_at": event.started_at,
        "ended_at": event.ended_at,
        "status": event.status,
        "attributes": event.attributes,
    }


class _Writer:
    """Buffers case results and stores them in batches, off the event loop."""

    def __init__(
        self, store: EvalStore, eval_run_id: str, done: int, batch_size: int, flush_seconds: float
    ) -> None:
        self.store = store
        self.eval_run_id = eval_run_id
        self.done = done
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self._buffer: list[CaseResult] = []
        self._lock = asyncio.Lock()
        self._last = time.monotonic()

    async def add(self, result: CaseResult) -> None:
        """Buffer a result; write a batch when enough are waiting (or enough time passed)."""
        self._buffer.append(result)
        due = time.monotonic() - self._last >= self.flush_seconds
        if (len(self._buffer) >= self.batch_size or due) and not self._lock.locked():
            await self.flush()

    async def flush(self, status: EvalRunStatus = "running") -> None:
        """Write every buffered result and the eval run's progress."""
        async with self._lock:
            batch, self._buffer = self._buffer, []
            self._last = time.monotonic()
            if batch:
                await asyncio.to_thread(self.store.add_case_results, self.eval_run_id, batch)
                self.done += len(batch)
            await asyncio.to_thread(
                self.store.set_run_status, self.eval_run_id, status, cases_done=self.done
            )

    async def close_interrupted(self) -> None:
        """Keep what finished and mark the eval run interrupted (it can be resumed)."""
        await self.flush("interrupted")
