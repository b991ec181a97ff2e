"""Shadow mode: run an agent on past (or live) inputs beside the humans, act on nothing.

```python
from earned.replay import ShadowRunner, dataset_inputs

async with ShadowRunner(db, agent, capability="submit_refund") as shadow:
    report = await shadow.run(dataset_inputs("datasets/golden.jsonl", split="test"))
print(report.agreement, [c.to_dict() for c in report.per_class])
```

Every shadow run is stored (stage `shadow`, run id `shadow_...`) and never executes a
write: its tool calls go through `ShadowExecutor`, which simulates every write whatever
the policy or the capability matrix says (reads execute). Shadowing past traces, a read
the original run made with the same arguments gets its recorded result (the data as it was
then: the original's own writes, or anything since, do not leak in); `recorded_reads=False`
reads live. With a matrix, its stages and kill switches apply on top (a disabled
capability's calls are denied, as live). The
agent's decision is read from the run as evals read it (its `decision` event or output
field; or its `classification` when classes are compared) and compared with the human
decision; each comparison is also stored on the shadow run as an `evaluation` span named
`shadow_comparison`. `shadow(item)` runs one input: live shadow mode, beside the human.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from earned.config import Settings
from earned.evals import Dataset, EvalContext, Scenario, load_dataset
from earned.rehearsals import is_rehearsal, new_rehearsal_id
from earned.replay._guard import ShadowExecutor
from earned.replay._human import (
    DEFAULT_LABELS,
    NO_DECISION,
    Compared,
    HumanDecision,
    from_scenario,
    from_trace,
)
from earned.replay._match import same_arguments
from earned.replay._progress import ProgressReporter
from earned.replay._recording import load_recording
from earned.replay._rehearse import RehearsalStore, default_redactor
from earned.replay._report import UNCLASSIFIED, ShadowCase, ShadowReport
from earned.replay._serve import ReplaySession
from earned.runtime import Agent, InlineSteps, Principal, RunEvent, RunLimits, RunRequest, Services
from earned.runtime import _durable as durable
from earned.store import Database
from earned.tracing import TraceQuery, TraceStore

__all__ = ["ShadowInput", "ShadowRunner", "dataset_inputs", "trace_inputs"]

_WRITES = frozenset({"internal_write", "external_write", "irreversible"})
_ATTEMPTED = frozenset({"ok", "simulated", "approval_required"})


@dataclass(frozen=True, kw_only=True)
class ShadowInput:
    """One input to shadow: what to run the agent on and the human decision to compare."""

    key: str
    input: Any
    human: HumanDecision
    source_run_id: str | None = None
    correlation_id: str | None = None
    principal: Principal | None = None
    input_exact: bool = True
    cls: str | None = None


def dataset_inputs(
    dataset: Dataset | str | Path,
    *,
    compare: Compared = "decision",
    split: str | None = None,
    tags: Sequence[str] = (),
) -> list[ShadowInput]:
    """A dataset's cases (one split, with every tag), labelled by their expected fields."""
    data = dataset if isinstance(dataset, Dataset) else load_dataset(dataset)
    data = data.select(split=split, tags=tags)
    return [
        ShadowInput(
            key=case.id,
            input=case.input,
            human=from_scenario(case, compare),
            correlation_id=f"dataset:{data.name}#{case.id}",
        )
        for case in data
    ]


def trace_inputs(
    db: Database,
    query: TraceQuery,
    *,
    compare: Compared = "decision",
    labels: Mapping[str, str] = DEFAULT_LABELS,
    records: Any = None,
) -> list[ShadowInput]:
    """The runs `query` finds (shadow and replay runs left out), with their human decisions.

    Each input is the run's exact request when the durable records (`records`, a
    `RecordedRuns`; by default one on `db`) can be read, else its stored, redacted input
    (`input_exact=False`).
    """
    own = records is None
    if own:
        records = durable.RecordedRuns(db.url)
    traces = TraceStore(db)
    found: list[ShadowInput] = []
    offset = query.offset
    try:
        while len(found) < query.limit:
            page = traces.search(_page(query, offset))
            for summary in page:
                if not is_rehearsal(summary.run_id) and len(found) < query.limit:
                    item = _trace_input(db, traces, summary.run_id, compare, labels, records)
                    found.append(item)
            if len(page) < _page(query, offset).limit:
                break
            offset += len(page)
    finally:
        if own:
            records.close()
    return found


def _page(query: TraceQuery, offset: int) -> TraceQuery:
    return replace(query, offset=offset, limit=1000)


def _trace_input(
    db: Database,
    traces: TraceStore,
    run_id: str,
    compare: Compared,
    labels: Mapping[str, str],
    records: Any,
) -> ShadowInput:
    record = traces.run(run_id)
    exact = records.request(run_id) if records is not None else None
    context = EvalContext(
        scenario=Scenario(id=run_id, input=None),
        result=_result_of(record),
        events=tuple(traces.spans(run_id)),
    )
    return ShadowInput(
        key=run_id,
        input=exact["input"] if isinstance(exact, dict) and "input" in exact else record.input,
        human=from_trace(db, record, compare=compare, labels=labels),
        source_run_id=run_id,
        correlation_id=run_id,
        principal=record.principal,
        input_exact=isinstance(exact, dict) and "input" in exact,
        cls=context.classification,
    )


def _result_of(record: Any) -> Any:
    from earned.runtime import RunResult

    if record.finished:
        return record.to_result()
    return RunResult(run_id=record.run_id, agent=record.agent, status="escalated",
                     output=record.output)  # fmt: skip


class ShadowRunner:
    """Runs an agent at stage shadow on many inputs and compares it with the humans."""

    def __init__(
        self,
        db: Database,
        agent: Agent,
        *,
        capability: str | None = None,
        matrix: Any = None,
        compare: Compared = "decision",
        labels: Mapping[str, str] = DEFAULT_LABELS,
        concurrency: int = 8,
        progress: ProgressReporter | None = None,
        model: str | None = None,
        principal: Principal | None = None,
        environment: str | None = None,
        limits: RunLimits | None = None,
        registry: Any = None,
        prices: Any = None,
        deps: Any = None,
        redactor: Any = None,
        recorded_reads: bool = True,
        records: Any = None,
    ) -> None:
        self.db = db
        self.agent = agent
        self.capability = capability or agent.capability
        self.compare: Compared = compare
        self.labels = labels
        self.concurrency = max(1, concurrency)
        self.progress = progress
        self.model = model
        self.principal = principal or Principal()
        self.environment = Settings.load(environment=environment).environment
        self.limits = limits or agent.limits or RunLimits()
        self.session = new_rehearsal_id("shadow").replace("shadow_", "shd_", 1)
        self.recorded_reads = recorded_reads
        self._store = RehearsalStore(db, redactor=redactor or default_redactor([agent]))
        self._own_records = records is None
        self._records = records if records is not None else durable.RecordedRuns(db.url)
        self._executor = ShadowExecutor()
        self._services = Services(
            steps=InlineSteps(),
            sink=self._store.sink,
            redactor=self._store.redactor,
            rollout=_rollout(db, matrix, agent),
            deps=deps,
            tool_executor=self._executor,
            **({"registry": registry} if registry is not None else {}),
            **({"prices": prices} if prices is not None else {}),
        )
        if model is not None:
            self._services.registry.resolve(model)  # a bad model string fails here

    async def __aenter__(self) -> ShadowRunner:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Write the remaining spans; the runner cannot be used afterwards."""
        await asyncio.to_thread(self._store.close)
        if self._own_records:
            await asyncio.to_thread(self._records.close)

    async def run(self, inputs: Iterable[ShadowInput], *, source: str = "inputs") -> ShadowReport:
        """Shadow every input (at most `concurrency` at once) and report the agreement."""
        items = list(inputs)
        started = time.time()
        gate = asyncio.Semaphore(self.concurrency)
        if self.progress is not None:
            self.progress.start(f"shadow {self.capability or self.agent.name}", total=len(items))

        async def one(item: ShadowInput) -> ShadowCase:
            async with gate:
                case = await self.shadow(item)
            if self.progress is not None:
                self.progress.advance(case.agree is False)
            return case

        try:
            cases = await asyncio.gather(*(one(item) for item in items))
        finally:
            if self.progress is not None:
                self.progress.stop()
        await asyncio.to_thread(self._store.flush)
        notes: list[str] = []
        if any(not c.input_exact for c in cases):
            notes.append("some inputs are the stored (redacted) inputs: their exact requests "
                         "could not be read from the durable records")  # fmt: skip
        if self.recorded_reads and any(c.source_run_id for c in cases):
            notes.append("reads the original runs made were answered with their recorded "
                         "results (the data as it was then)")  # fmt: skip
        return ShadowReport(
            session=self.session,
            capability=self.capability,
            agent=self.agent.name,
            source=source,
            compared=self.compare,
            cases=tuple(cases),
            started_at=started,
            seconds=time.time() - started,
            notes=tuple(notes),
        )

    async def shadow(self, item: ShadowInput) -> ShadowCase:
        """Run the agent at stage shadow on one input and compare it with the human."""
        request = RunRequest(
            run_id=new_rehearsal_id("shadow"),
            agent=self.agent.name,
            input=item.input,
            principal=item.principal or self.principal,
            capability=self.capability,
            stage="shadow",
            environment=self.environment,
            model=self.model,
            limits=self.limits,
            request_id=self.session,
            correlation_id=item.correlation_id,
        )
        if item.source_run_id is not None and self.recorded_reads:
            recording = await asyncio.to_thread(
                load_recording, self.db, item.source_run_id, records=self._records
            )
            self._executor.recorded[request.run_id] = ReplaySession(
                recording=recording, redactor=self._store.redactor
            )
        try:
            result, events = await self._store.run(request, self.agent, self._services)
        finally:
            self._executor.recorded.pop(request.run_id, None)
        case = self._compare(item, request.run_id, result, events)
        self._store.note(
            request.run_id,
            "shadow_comparison",
            session=self.session,
            compared=self.compare,
            human=case.human.label,
            human_source=case.human.source,
            agent=case.agent,
            agree=case.agree,
            cls=case.cls,
            source_run_id=item.source_run_id,
        )
        return case

    def _compare(
        self, item: ShadowInput, run_id: str, result: Any, events: list[RunEvent]
    ) -> ShadowCase:
        context = EvalContext(
            scenario=Scenario(id=item.key, input=None), result=result, events=tuple(events)
        )
        calls = context.tool_calls
        human = item.human
        agent = context.decision if self.compare == "decision" else context.classification
        if agent is None and human.source == "approval" and human.tool is not None:
            tried = any(c.tool == human.tool and c.status in _ATTEMPTED for c in calls)
            agent = self.labels["approve" if tried else "reject"]
        label = agent or NO_DECISION
        agree = None if human.label is None else label == human.label
        detail = None
        if agree and human.arguments is not None:
            proposed = [c.arguments for c in calls if c.tool == human.tool]
            if proposed and not same_arguments(human.arguments, proposed[-1], self._store.redactor):
                agree, detail = False, f"{human.tool} arguments differ from what the human let run"
        return ShadowCase(
            key=item.key,
            run_id=run_id,
            status=result.status,
            human=human,
            agent=label,
            cls=human.cls or item.cls or context.classification or UNCLASSIFIED,
            agree=agree,
            source_run_id=item.source_run_id,
            input_exact=item.input_exact,
            detail=detail,
            simulated=tuple(c.tool for c in calls if c.status == "simulated"),
            executed_writes=tuple(c.tool for c in calls if c.risk in _WRITES and c.executed),
        )


def _rollout(db: Database, matrix: Any, agent: Agent) -> Any:
    """The matrix's live stages and flags, when one is given (as an engine builds them)."""
    if matrix is None:
        return None
    from earned.rollout import Rollout, RolloutStore, load_matrix

    if isinstance(matrix, str | Path):
        matrix = load_matrix(matrix)
    matrix.check_tools(agent.tools)
    store = RolloutStore(db)
    store.ensure(matrix)
    return Rollout(matrix, store)
