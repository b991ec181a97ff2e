"""The DBOS binding: runs are DBOS workflows, model and tool calls are DBOS steps.

This is the only module that imports DBOS. DBOS keeps one instance per process, so one
engine (a `WorkflowHost`) is launched per process at a time; the registered workflow
function finds it through `_host`. Everything DBOS-shaped (steps, durable waits, messages,
queues, clients) is a small function or class here, so the Engine never touches DBOS.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from earned.errors import ConfigError, UserError

__all__ = [
    "DBOSNotifier",
    "DBOSWaiter",
    "DurableSteps",
    "QueueSettings",
    "RecordedRuns",
    "WorkflowHost",
    "queue_name",
]

T = TypeVar("T")
WORKFLOW_NAME = "earned.run"
_host: WorkflowHost | None = None
_workflow: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]] | None = None
_scheduled: dict[str, Any] = {}


def _dbos() -> Any:
    import dbos

    return dbos


class WorkflowHost(Protocol):
    """What the registered workflows call: the launched engine."""

    async def run_request(self, data: dict[str, Any]) -> dict[str, Any]:
        """Run one request (the workflow's input) to its result (the workflow's output)."""
        ...

    async def daily_prune(self) -> list[dict[str, Any]]:
        """Prune what retention says is due (the scheduled daily job)."""
        ...

    async def rollout_check(self) -> dict[str, Any]:
        """Measure stop conditions and demote what trips (the scheduled minute job)."""
        ...


@dataclass(frozen=True, kw_only=True)
class QueueSettings:
    """How many runs of each agent a worker takes at once, and per tenant across workers."""

    worker_concurrency: int = 8
    tenant_concurrency: int | None = None
    polling_interval: float = 0.5


def queue_name(agent: str) -> str:
    """The queue an agent's submitted runs wait in."""
    return f"earned.{agent}"


# -- logging ------------------------------------------------------------------------------


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes DBOS's log lines to whatever sys.stderr is at the time (not at import)."""

    def __init__(self) -> None:
        super().__init__()
        self.name = "__dbos_console_log_handler__"  # DBOS looks its console handler up by name
        self.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] dbos: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record to the current stderr."""
        self.stream = sys.stderr
        super().emit(record)

    def flush(self) -> None:
        """Flush the current stderr."""
        self.stream = sys.stderr
        super().flush()


def _quiet_dbos_logging() -> None:
    logger = logging.getLogger("dbos")
    logger.setLevel(logging.ERROR)  # DBOS warns on every cancelled task at shutdown
    if not logger.handlers:  # DBOS adds its own stderr handler only when there is none
        from earned.redaction import Redactor, redacting_log_filter

        handler = _CurrentStderrHandler()
        handler.addFilter(redacting_log_filter(Redactor()))  # error lines may quote payloads
        logger.propagate = False
        logger.addHandler(handler)


# -- sealing -----------------------------------------------------------------------------


def _serializer(database_url: str) -> Any:
    """A DBOS serializer that seals every payload (see earned.sealing)."""
    from earned.sealing import Sealer, load_data_key

    dbos = _dbos()
    sealer = Sealer(load_data_key(database_url))

    class SealedSerializer(dbos.Serializer):  # type: ignore[misc, name-defined]
        def serialize(self, data: Any) -> str:
            return sealer.seal(data)

        def deserialize(self, serialized_data: str) -> Any:
            return sealer.unseal(serialized_data)

        def name(self) -> str:
            return "earned_sealed_v1"

    return SealedSerializer()


def _client(database_url: str) -> Any:
    return _dbos().DBOSClient(
        system_database_url=database_url, serializer=_serializer(database_url)
    )


# -- steps, waits, messages ---------------------------------------------------------------


class DurableSteps:
    """Runs each step as a DBOS step: its result is checkpointed before the run goes on."""

    async def run(self, name: str, fn: Callable[[], Awaitable[T]]) -> T:
        """Run `fn` as a checkpointed step (or return its recorded result on recovery)."""

        async def step() -> T:  # DBOS needs a coroutine function, not a lambda
            return await fn()

        return await _dbos().DBOS.run_step_async({"name": name}, step)


class DBOSWaiter:
    """Waits for a message on a topic with DBOS's durable `recv` (survives restarts)."""

    async def wait(self, topic: str, timeout: float) -> None:
        """Return when a message arrives on `topic` or after `timeout` seconds."""
        await _dbos().DBOS.recv_async(topic, timeout_seconds=timeout)


class DBOSNotifier:
    """Delivers "your approval was decided" to a waiting run, from any process.

    It writes a DBOS message for the run's workflow through a DBOS client on the same
    database, so it works in the engine's process, in the CLI and in another service. The
    decision itself is already stored: a lost notice only delays the run until its next poll.
    """

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._client: Any = None

    def notify(self, run_id: str, approval_id: str) -> None:
        """Send the notice on topic `approval_id` to workflow `run_id`."""
        if self._client is None:
            self._client = _client(self.database_url)
        self._client.send(run_id, approval_id, topic=approval_id)

    def close(self) -> None:
        """Release the client's connections."""
        if self._client is not None:
            self._client.destroy()
            self._client = None


# -- the workflow and its lifecycle -------------------------------------------------------


async def _run_workflow(data: dict[str, Any]) -> dict[str, Any]:
    """The registered DBOS workflow: hand the request to the launched engine."""
    host = _host
    if host is None:
        raise RuntimeError("an earned run started while no Engine is launched")
    return await host.run_request(data)


def _register_workflow() -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
    global _workflow
    if _workflow is None:
        _workflow = _dbos().DBOS.workflow(name=WORKFLOW_NAME)(_run_workflow)
    registered = _workflow
    assert registered is not None
    return registered


#: The rollout monitor's schedule name and cron line: every minute, one run per fleet.
ROLLOUT_MONITOR_NAME = "earned.rollout_monitor"
ROLLOUT_MONITOR_SCHEDULE = "* * * * *"


def _launched_host(job: str) -> WorkflowHost:
    if _host is None:
        raise RuntimeError(f"the scheduled {job} fired while no Engine is launched")
    return _host


async def _run_daily_prune(scheduled_at: Any, context: Any) -> list[dict[str, Any]]:
    """The scheduled daily retention job: the launched engine prunes what is due."""
    del scheduled_at, context
    return await _launched_host("daily prune").daily_prune()


async def _run_rollout_monitor(scheduled_at: Any, context: Any) -> dict[str, Any]:
    """The scheduled stop-condition check: tripped capabilities are demoted."""
    del scheduled_at, context
    return await _launched_host("rollout monitor").rollout_check()


def _register_scheduled() -> dict[str, Any]:
    """Register the scheduled workflows once per process; name -> workflow function."""
    from earned.tracing import DAILY_PRUNE_NAME

    global _scheduled
    if not _scheduled:
        register = _dbos().DBOS.workflow
        _scheduled = {
            DAILY_PRUNE_NAME: register(name=DAILY_PRUNE_NAME)(_run_daily_prune),
            ROLLOUT_MONITOR_NAME: register(name=ROLLOUT_MONITOR_NAME)(_run_rollout_monitor),
        }
    return _scheduled


def schedule(*, daily_prune: bool, rollout_monitor: bool) -> None:
    """Create or replace the schedules asked for (DBOS: one run per tick across workers)."""
    from earned.tracing import DAILY_PRUNE_NAME, DAILY_PRUNE_SCHEDULE

    workflows = _register_scheduled()
    wanted = [
        (DAILY_PRUNE_NAME, DAILY_PRUNE_SCHEDULE, daily_prune),
        (ROLLOUT_MONITOR_NAME, ROLLOUT_MONITOR_SCHEDULE, rollout_monitor),
    ]
    schedules = [
        {"schedule_name": name, "workflow_fn": workflows[name], "schedule": cron, "context": None}
        for name, cron, on in wanted
        if on
    ]
    if schedules:
        _dbos().DBOS.apply_schedules(schedules)


async def trigger(schedule_name: str) -> Any:
    """Run a scheduled job now (e.g. the rollout monitor after an incident); its output."""
    dbos = _dbos()
    handle = await asyncio.to_thread(dbos.DBOS.trigger_schedule, schedule_name)
    return await asyncio.to_thread(handle.get_result)


def launch(
    host: WorkflowHost,
    *,
    database_url: str,
    application_version: str,
    executor_id: str | None,
    listen: Sequence[str],
) -> None:
    """Start DBOS for `host`, listening to the `listen` queues; recovers pending runs.

    Call it on the event loop's thread: DBOS then runs recovered runs on that loop.
    """
    global _host
    if _host is not None:
        raise UserError(
            "another earned Engine is already launched in this process; shut it down "
            "first (DBOS keeps one instance per process)"
        )
    dbos = _dbos()
    _quiet_dbos_logging()
    _register_workflow()
    _register_scheduled()
    config: dict[str, Any] = {
        "name": "earned",
        "system_database_url": database_url,
        "application_version": application_version,
        "log_level": "ERROR",
        "serializer": _serializer(database_url),
    }
    if executor_id:
        config["executor_id"] = executor_id
    _host = host
    try:
        dbos.DBOS(config=config)
        dbos.DBOS.listen_queues(list(listen))
        dbos.DBOS.launch()
    except Exception as exc:
        _host = None
        dbos.DBOS.destroy(destroy_registry=False)
        raise ConfigError(
            f"could not start the durable engine on {database_url}: {exc}",
            database_url=database_url,
        ) from exc


async def register_queues(names: Sequence[str], settings: QueueSettings) -> None:
    """Declare each agent's queue (partitioned by tenant) with its concurrency limits."""
    for name in names:
        await _dbos().DBOS.register_queue_async(
            name,
            worker_concurrency=settings.worker_concurrency,
            partition_concurrency=settings.tenant_concurrency or 1_000_000,
            polling_interval_sec=settings.polling_interval,
            on_conflict="always_update",
        )


async def destroy() -> None:
    """Stop DBOS (runs still in flight stay pending and resume at the next launch)."""
    global _host
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(1, thread_name_prefix="earned-dbos") as pool:
        await loop.run_in_executor(pool, _dbos().DBOS.destroy)
    # DBOS made its (now stopped) thread pool this loop's default executor: restore one.
    loop.set_default_executor(ThreadPoolExecutor())
    _host = None


# -- starting, waiting, cancelling --------------------------------------------------------


async def start(run_id: str, data: dict[str, Any]) -> Any:
    """Start the workflow for `run_id` now, in this process; returns its DBOS handle."""
    dbos = _dbos()
    with dbos.SetWorkflowID(run_id):
        return await dbos.DBOS.start_workflow_async(_register_workflow(), data)


async def enqueue(queue: str, run_id: str, data: dict[str, Any], partition: str) -> Any:
    """Put the workflow for `run_id` on `queue`; a worker listening to it will run it."""
    dbos = _dbos()
    with dbos.SetWorkflowID(run_id), dbos.SetEnqueueOptions(queue_partition_key=partition):
        return await dbos.DBOS.enqueue_workflow_async(queue, _register_workflow(), data)


def migrate_system_database(database_url: str) -> None:
    """Create or upgrade DBOS's own tables (a client needs them before its first enqueue)."""
    _dbos().DBOS.migrate(database_url)


def client_enqueue(
    database_url: str,
    queue: str,
    run_id: str,
    data: dict[str, Any],
    *,
    partition: str,
    application_version: str,
) -> None:
    """Enqueue a run from a process that does not run an engine (the CLI, a web service)."""
    client = _client(database_url)
    options = {
        "queue_name": queue,
        "workflow_name": WORKFLOW_NAME,
        "workflow_id": run_id,
        "queue_partition_key": partition,
        "app_version": application_version,
    }
    try:
        client.enqueue(options, data)
    finally:
        client.destroy()


async def retrieve(run_id: str) -> Any:
    """The DBOS handle of an existing workflow."""
    return await _dbos().DBOS.retrieve_workflow_async(run_id)


async def await_output(handle: Any) -> dict[str, Any] | None:
    """The workflow's output, or None if it was cancelled."""
    try:
        return await handle.get_result()
    except _dbos().error.DBOSAwaitedWorkflowCancelledError:
        return None


async def cancel(run_id: str) -> str | None:
    """Cancel the workflow; returns DBOS's status afterwards (e.g. CANCELLED, SUCCESS)."""
    dbos = _dbos()
    await dbos.DBOS.cancel_workflow_async(run_id)
    status = await dbos.DBOS.get_workflow_status_async(run_id)
    return None if status is None else str(status.status)


async def queued(queues: Sequence[str]) -> int:
    """How many workflows wait in these queues, not yet taken by a worker."""
    if not queues:
        return 0
    found = await _dbos().DBOS.list_queued_workflows_async(
        queue_name=list(queues), status="ENQUEUED"
    )
    return len(found)


# -- reading what past runs recorded (replay, shadow runs over traces) ----------------------


class RecordedRuns:
    """Reads what DBOS recorded for past runs: the exact request and each step's output.

    Payloads are sealed at rest; the client unseals them with the project's data key. This
    only reads (replay and shadow runs serve recorded results from it; nothing resumes).
    When the records cannot be read (no DBOS tables, another key, a pruned run), `request`
    gives None and `steps` an empty list, and `problem` says why.
    """

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.problem: str | None = None
        self._client: Any = None

    def _connect(self) -> Any:
        if self._client is None and self.problem is None:
            try:
                self._client = _client(self.database_url)
            except Exception as exc:  # no system database yet, or it cannot be reached
                self.problem = f"the durable records cannot be read: {exc}"
        return self._client

    def request(self, run_id: str) -> dict[str, Any] | None:
        """The exact request the run started with (its workflow input), or None."""
        client = self._connect()
        if client is None:
            return None
        try:
            found = client.list_workflows(workflow_ids=[run_id], load_output=False)
        except Exception as exc:
            self.problem = f"the durable records cannot be read: {exc}"
            return None
        if not found or not found[0].input:
            return None
        args = found[0].input.get("args") or ()
        return args[0] if args and isinstance(args[0], dict) else None

    def steps(self, run_id: str) -> list[dict[str, Any]]:
        """Each recorded step in order: `{"name", "output", "error"}` (error as text)."""
        client = self._connect()
        if client is None:
            return []
        try:
            found = client.list_workflow_steps(run_id)
        except Exception as exc:
            self.problem = f"the durable records cannot be read: {exc}"
            return []
        return [
            {
                "name": step["function_name"],
                "output": step["output"],
                "error": None if step["error"] is None else str(step["error"]),
            }
            for step in found
        ]

    def close(self) -> None:
        """Release the client's connections."""
        if self._client is not None:
            self._client.destroy()
            self._client = None
