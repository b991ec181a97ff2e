"""The Engine: launches the durable runtime and runs agents on it.

SQLite (`./.earned/earned.db`) by default; a PostgreSQL URL moves the same code to
Postgres, where many workers on many machines share the runs through per-agent queues.
DBOS itself stays behind `_durable.py`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from earned._version import __version__
from earned.config import Settings
from earned.digest import digest
from earned.errors import UserError
from earned.models import ModelRegistry, PriceTable, default_registry
from earned.runtime import _durable as durable
from earned.runtime._agent import Agent
from earned.runtime._durable import DBOSNotifier, DBOSWaiter, DurableSteps, QueueSettings
from earned.runtime._events import EventSink, MultiSink
from earned.runtime._runner import execute_run
from earned.runtime._services import Services
from earned.runtime._state import FINAL_STATUSES, Principal, RunLimits, RunRequest, RunResult
from earned.store import Database, RunStore, SpanStore

__all__ = ["Engine", "RunHandle", "application_version"]

T = TypeVar("T")
_NOT_LAUNCHED = "the engine is not launched; use `async with Engine(...)`"


def application_version(agents: Iterable[Agent]) -> str:
    """The version DBOS records with runs: earned's and a hash of the agents' versions.

    A pending run is only recovered by an engine with the same version, so a run never
    resumes on code that changed under it.
    """
    versions = {a.name: a.versions() for a in sorted(agents, key=lambda a: a.name)}
    return f"earned-{__version__}-{digest(versions)[:12]}"


class RunHandle:
    """A started or submitted run: its id, and its result once it ends."""

    def __init__(self, engine: Engine, run_id: str, handle: Any) -> None:
        self.run_id = run_id
        self._engine = engine
        self._handle = handle

    async def result(self) -> RunResult:
        """Wait for the run to end and return its result."""
        return await self._engine._await(self.run_id, self._handle)


class Engine:
    """Launches the durable runtime and runs agents on it.

    Use it as `async with Engine([agent]) as engine: result = await engine.run(agent, x)`.
    Runs interrupted by a crash or a shutdown resume when an engine with the same agents
    (and the same executor id) launches again.

    With `matrix=` (a `CapabilityMatrix`, or the path of a `capabilities.yaml`), every tool
    call is decided under its capability's live stage and flags, and the stop-condition
    monitor runs every minute (`monitor=False` leaves it to `earned rollout check`);
    `alerts` lists where demotions are announced (default: the log, plus
    EARNED_ALERT_WEBHOOK when set).

    `breakers` (an `earned.guards.Breakers`) sets the circuit breakers of every tool and
    model: by default one per tool and per model, per process, with default settings
    (`Breakers(shared=True)` keeps their state in the database for every worker; `False`
    turns them off). `flag_source` (e.g. `earned.rollout.openfeature.OpenFeatureFlags`)
    is an external flag provider the matrix's flags also obey: a flag is off when either
    says so.
    """

    def __init__(
        self,
        agents: Iterable[Agent] = (),
        *,
        database_url: str | None = None,
        environment: str | None = None,
        sinks: Iterable[EventSink] = (),
        deps: Any = None,
        registry: ModelRegistry | None = None,
        prices: PriceTable | None = None,
        approvals: Any = None,
        approval_settings: Any = None,
        queues: QueueSettings | None = None,
        listen: bool = True,
        redactor: Any = None,
        prune_daily: bool = True,
        application_version: str | None = None,
        executor_id: str | None = None,
        matrix: Any = None,
        monitor: bool = True,
        alerts: Any = None,
        breakers: Any = None,
        flag_source: Any = None,
    ) -> None:
        self.settings = Settings.load(database_url=database_url, environment=environment)
        self._agents: dict[str, Agent] = {}
        for agent in agents:
            self.register(agent)
        self._extra_sinks = tuple(sinks)
        self._deps = deps
        self._registry = registry or default_registry()
        self._prices = prices or PriceTable()
        self._approvals = approvals
        self._approval_settings = approval_settings
        self._queues = queues or QueueSettings()
        self._redactor = redactor
        self._prune_daily = prune_daily
        self._exporter: Any = None
        self._listen = listen
        self._application_version = application_version
        self.executor_id = executor_id
        self._matrix = matrix
        self._monitor = monitor
        self._alerts = alerts
        self._breakers = breakers
        self._flag_source = flag_source
        self.rollout: Any = None
        self._launched = False
        self.db: Database | None = None
        self._runs: RunStore | None = None
        self._spans: SpanStore | None = None
        self._services: Services | None = None
        self._notifier: DBOSNotifier | None = None
        self._inflight: set[asyncio.Task[Any]] = set()

    # -- what it holds --------------------------------------------------------------------

    def register(self, agent: Agent) -> None:
        """Add an agent; agents must be registered before launch (recovery needs them)."""
        if getattr(self, "_launched", False):
            raise UserError(
                f"cannot register {agent.name!r}: the engine is already launched; register "
                "every agent first, so runs of any of them can be recovered",
                agent=agent.name,
            )
        existing = self._agents.get(agent.name)
        if existing is not None and existing is not agent:
            raise UserError(f"two different agents are named {agent.name!r}", agent=agent.name)
        self._agents[agent.name] = agent

    def agent(self, name: str) -> Agent:
        """The registered agent called `name`."""
        try:
            return self._agents[name]
        except KeyError:
            raise UserError(
                f"no agent named {name!r} is registered; registered: "
                f"{', '.join(sorted(self._agents)) or '(none)'}",
                agent=name,
            ) from None

    @property
    def agents(self) -> list[Agent]:
        """The registered agents."""
        return list(self._agents.values())

    @property
    def application_version(self) -> str:
        """The version recorded with this engine's runs (see `application_version()`)."""
        return self._application_version or application_version(self._agents.values())

    @property
    def services(self) -> Services:
        """What runs of this engine use (available once launched)."""
        if self._services is None:
            raise UserError(_NOT_LAUNCHED)
        return self._services

    @property
    def runs(self) -> RunStore:
        """The run records (available once launched)."""
        if self._runs is None:
            raise UserError(_NOT_LAUNCHED)
        return self._runs

    @property
    def spans(self) -> SpanStore:
        """The stored run events (available once launched)."""
        if self._spans is None:
            raise UserError(_NOT_LAUNCHED)
        return self._spans

    @property
    def approvals(self) -> Any:
        """The approvals API (list, approve, reject) on this engine's database."""
        from earned.approvals import Approvals

        if self.db is None or self._notifier is None:
            raise UserError(_NOT_LAUNCHED)
        return Approvals(self.db, notifier=self._notifier)

    # -- lifecycle ------------------------------------------------------------------------

    async def launch(self) -> None:
        """Migrate the database, start DBOS, recover interrupted runs, serve the queues."""
        if self._launched:
            return
        db = Database(self.settings.database_url)
        await _blocking(db.upgrade)
        redactor = self.redactor
        self.db, self._spans = db, SpanStore(db)
        self._runs = RunStore(db, redactor=redactor)
        self._services = self._build_services(db, self._runs, self._spans)
        self._notifier = DBOSNotifier(self.settings.database_url)
        queues = [durable.queue_name(name) for name in sorted(self._agents)]
        try:
            durable.launch(
                self,
                database_url=self.settings.database_url,
                application_version=self.application_version,
                executor_id=self.executor_id,
                listen=queues if self._listen else [],
            )
        except Exception:
            self._spans.close()
            db.close()
            raise
        self._launched = True
        await durable.register_queues(queues, self._queues)
        durable.schedule(
            daily_prune=self._prune_daily,
            rollout_monitor=self.rollout is not None and self._monitor,
        )
        # A policy or matrix that differs from the last one recorded is an audited change.
        from earned.rollout._changes import audit_launch

        matrix = self.rollout.matrix if self.rollout is not None else None
        await _blocking(lambda: audit_launch(db, self._agents.values(), matrix))

    @property
    def redactor(self) -> Any:
        """The redactor every stored payload and event passes through.

        Default: every built-in detector, plus the fields the agents' tools declare
        `sensitive`.
        """
        if self._redactor is None:
            from earned.redaction import Redactor

            sensitive = {
                f for agent in self._agents.values() for t in agent.tools for f in t.sensitive
            }
            self._redactor = Redactor(sensitive_fields=sensitive)
        return self._redactor

    def _build_services(self, db: Database, runs: RunStore, spans: SpanStore) -> Services:
        from earned.approvals import ApprovalStore, DurableApprovalGate, Ledger
        from earned.redaction import RedactingSink

        approval_store = ApprovalStore(db)
        gate = self._approvals or DurableApprovalGate(
            approval_store, runs=runs, waiter=DBOSWaiter(), settings=self._approval_settings
        )
        from earned.tracing import OTLPExporter

        self._exporter = OTLPExporter.from_env(redactor=self.redactor)
        exporters = [self._exporter] if self._exporter is not None else []
        sinks = MultiSink([spans, *self._extra_sinks, *exporters])
        return Services(
            steps=DurableSteps(),
            sink=RedactingSink(sinks, self.redactor),
            registry=self._registry,
            prices=self._prices,
            approvals=gate,
            approval_store=approval_store,
            breakers=self._bound_breakers(db),
            ledger=Ledger(db),
            redactor=self.redactor,
            rollout=self._rollout(db),
            versions=self._version_resolver(db),
            deps=self._deps,
        )

    def _rollout(self, db: Database) -> Any:
        """The matrix's live state: rows for new capabilities and flags, tools checked."""
        if self._matrix is None:
            return None
        from earned.rollout import Rollout, RolloutStore, load_matrix

        matrix = self._matrix
        if isinstance(matrix, (str, Path)):
            matrix = load_matrix(matrix)
        matrix.check_tools(t for agent in self._agents.values() for t in agent.tools)
        store = RolloutStore(db)
        store.ensure(matrix)
        self.rollout = Rollout(matrix, store, flag_source=self._flag_source)
        return self.rollout

    def _bound_breakers(self, db: Database) -> Any:
        """The circuit breakers (default: per process), publishing their state to `db`."""
        if self._breakers is False:
            return None
        from earned.guards import Breakers

        breakers = self._breakers if self._breakers is not None else Breakers()
        return breakers.bind(db)

    def _version_resolver(self, db: Database) -> Any:
        """Pins choose each run's versions; what each agent is made of is recorded now."""
        from earned.rollout import VersionResolver, VersionStore

        resolver = VersionResolver(VersionStore(db))
        matrix = self.rollout.matrix if self.rollout is not None else None
        resolver.record_launch(self._agents.values(), matrix)
        return resolver

    async def shutdown(self) -> None:
        """Stop DBOS and write every buffered event; runs in flight resume on next launch."""
        if not self._launched:
            return
        self._launched = False
        # Stop runs in flight first: cancelled, a run stays pending in DBOS and resumes at the
        # next launch; left running after DBOS stops, it would fail on a dead thread pool.
        running = [task for task in self._inflight if not task.done()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await durable.destroy()
        if self._notifier is not None:
            self._notifier.close()
        if self._exporter is not None:
            await _blocking(self._exporter.close)
        if self._spans is not None:
            await _blocking(self._spans.close)
        if self.db is not None:
            self.db.close()

    async def __aenter__(self) -> Engine:
        await self.launch()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()

    async def rollout_check(self) -> dict[str, Any]:
        """Measure every stop condition and demote what trips (the minute schedule's job)."""
        if self.rollout is None or self.db is None:
            return {"results": [], "demotions": []}
        from earned.rollout import StopMonitor

        monitor = StopMonitor(self.db, self.rollout.matrix, self.rollout.store, alerts=self._alerts)
        report = await _blocking(monitor.check)
        return report.to_dict()

    async def daily_prune(self) -> list[dict[str, Any]]:
        """Prune what the retention policy says is due; audited (the daily scheduled job)."""
        from earned.tracing import daily_prune

        return await daily_prune(self.settings.database_url, DurableSteps())

    async def run_request(self, data: dict[str, Any]) -> dict[str, Any]:
        """Run one request to its result: the body of the durable workflow."""
        request = RunRequest.model_validate(data)
        agent = self.agent(request.agent)
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)  # shutdown cancels it: the run stays pending, not failed
        try:
            # One statement: store the run if it is new (a recovered or queued run is already
            # stored) and mark it running unless it has ended.
            await asyncio.to_thread(self.runs.start, request)
            result = await execute_run(request, agent, self.services)
        finally:
            if task is not None:
                self._inflight.discard(task)
        await asyncio.to_thread(self._finish, result)
        return result.model_dump(mode="json")

    def _finish(self, result: RunResult) -> None:
        """Store the result, then wait until the run's spans are written (one thread hop).

        Both happen before the workflow completes: a crash before this point replays the
        run, which writes the same result and re-emits the same span ids, so finished runs
        never lose spans.
        """
        self.runs.finish(result)
        self.spans.flush()

    # -- running --------------------------------------------------------------------------

    def request(
        self,
        agent: Agent | str,
        input: Any = None,
        *,
        principal: Principal | None = None,
        capability: str | None = None,
        stage: str | None = None,
        model: str | None = None,
        limits: RunLimits | None = None,
        run_id: str | None = None,
        request_id: str | None = None,
        correlation_id: str | None = None,
    ) -> RunRequest:
        """Build (and check) the request a run of `agent` on `input` would start with."""
        found = self.agent(agent if isinstance(agent, str) else agent.name)
        if model is not None:
            self._registry.resolve(model)  # a bad model string fails here, not mid-run
        fields: dict[str, Any] = {
            "agent": found.name,
            "input": input,
            "principal": principal or Principal(),
            "capability": capability or found.capability,
            "stage": stage,
            "environment": self.settings.environment,
            "model": model,
            "limits": limits or found.limits or RunLimits(),
            "request_id": request_id,
            "correlation_id": correlation_id,
        }
        if run_id:
            fields["run_id"] = run_id
        return RunRequest.model_validate(fields)

    async def start(self, agent: Agent | str, input: Any = None, **options: Any) -> RunHandle:
        """Start a durable run in this process and return at once (options as `request`).

        The same run id never starts twice: starting it again returns the first run.
        """
        if not self._launched:
            raise UserError(_NOT_LAUNCHED)
        request = self.request(agent, input, **options)
        await asyncio.to_thread(self.runs.create, request, status="running")
        handle = await durable.start(request.run_id, request.model_dump(mode="json"))
        return RunHandle(self, request.run_id, handle)

    async def submit(self, agent: Agent | str, input: Any = None, **options: Any) -> RunHandle:
        """Queue a run for any worker serving this agent (options as `request`).

        The agent's queue limits how many of its runs a worker takes at once and how many
        of one tenant's runs run at once across all workers.
        """
        if not self._launched:
            raise UserError(_NOT_LAUNCHED)
        request = self.request(agent, input, **options)
        await asyncio.to_thread(self.runs.create, request, status="pending")
        handle = await durable.enqueue(
            durable.queue_name(request.agent),
            request.run_id,
            request.model_dump(mode="json"),
            partition=request.principal.tenant or "-",
        )
        return RunHandle(self, request.run_id, handle)

    async def run(self, agent: Agent | str, input: Any = None, **options: Any) -> RunResult:
        """Start a durable run and wait for its result (options as `request`)."""
        return await (await self.start(agent, input, **options)).result()

    async def result(self, run_id: str) -> RunResult:
        """Wait for the run `run_id` (started here or elsewhere) to end."""
        record = self.runs.get(run_id)
        if record is not None and record.status in FINAL_STATUSES:
            return record.to_result()
        return await self._await(run_id, await durable.retrieve(run_id))

    async def _await(self, run_id: str, handle: Any) -> RunResult:
        output = await durable.await_output(handle)
        if output is not None:
            return RunResult.model_validate(output)
        record = self.runs.get(run_id)
        if record is not None and record.finished:
            return record.to_result()
        agent = record.agent if record is not None else "unknown"
        return RunResult(run_id=run_id, agent=agent, status="cancelled")

    async def settle(self, run_id: str, *, timeout: float | None = None) -> Any:
        """Wait until the run has ended or is waiting for a human; return its record."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.01
        while True:
            record = self.runs.get(run_id)
            if record is not None and (record.finished or record.status == "waiting_approval"):
                return record
            if deadline is not None and time.monotonic() > deadline:
                raise UserError(f"run {run_id} did not settle within {timeout:g}s", run_id=run_id)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)

    async def busy(self) -> int:
        """Runs this engine is working on (not waiting for a human) plus runs still queued."""
        working = sum(1 for task in self._inflight if not task.done())
        waiting = len(self.runs.list(status="waiting_approval", limit=1000))
        queued = await durable.queued([durable.queue_name(n) for n in sorted(self._agents)])
        return max(0, working - waiting) + queued

    async def cancel(self, run_id: str, *, reason: str = "cancelled by request") -> RunResult:
        """Cancel a run that has not ended; it stops before its next step."""
        record = self.runs.get(run_id)
        if record is None:
            raise UserError(f"no run {run_id!r} in this database", run_id=run_id)
        if record.finished:
            raise UserError(
                f"run {run_id} already ended ({record.status}); only unfinished runs can be "
                "cancelled",
                run_id=run_id,
                status=record.status,
            )
        status = await durable.cancel(run_id)
        if status is not None and status != "CANCELLED":
            return await self.result(run_id)  # it ended before the cancel landed
        result = RunResult(
            run_id=run_id,
            agent=record.agent,
            status="cancelled",
            error={"type": "RunCancelled", "message": reason, "transient": False, "details": {}},
            principal=record.principal,
            capability=record.capability,
            stage=record.stage,
            started_at=record.created_at,
            ended_at=time.time(),
        )
        self.runs.finish(result)
        return result


async def _blocking(fn: Callable[[], T]) -> T:
    """Run blocking lifecycle work off the event loop, on a pool DBOS does not own."""
    with ThreadPoolExecutor(1, thread_name_prefix="earned-engine") as pool:
        return await asyncio.get_running_loop().run_in_executor(pool, fn)
