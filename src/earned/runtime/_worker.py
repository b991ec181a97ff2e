"""A worker: an engine that serves its agents' queues until it is told to stop.

Several workers (on one machine or many) share a PostgreSQL database; each takes runs from
its agents' queues within the queue's limits. A worker that dies is restarted with the same
executor id and resumes the runs it had taken; runs it had not yet taken go to any worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from earned.runtime._agent import Agent
from earned.runtime._durable import QueueSettings
from earned.runtime._engine import Engine

__all__ = ["WorkerReport", "run_worker"]

#: Consecutive idle checks before an --exit-when-idle worker stops.
_IDLE_CHECKS = 3


@dataclass(frozen=True, kw_only=True)
class WorkerReport:
    """What a worker did before it stopped."""

    executor_id: str
    agents: list[str]
    started_at: float
    stopped_at: float
    finished_runs: int
    stopped_because: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return dict(self.__dict__)


async def run_worker(
    agents: Iterable[Agent],
    *,
    database_url: str | None = None,
    executor_id: str = "local",
    queues: QueueSettings | None = None,
    exit_when_idle: bool = False,
    stop: asyncio.Event | None = None,
    on_start: Callable[[Engine], None] | None = None,
    **engine_options: Any,
) -> WorkerReport:
    """Serve the agents' queues (and recover this executor's runs) until stopped.

    SIGTERM and SIGINT stop it gracefully: runs in flight stay pending and resume when a
    worker with the same executor id starts again.
    """
    stop = stop or asyncio.Event()
    started = time.time()
    agent_list = list(agents)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    reason = "stopped"
    try:
        async with Engine(
            agent_list,
            database_url=database_url,
            executor_id=executor_id,
            queues=queues,
            **engine_options,
        ) as engine:
            if on_start is not None:
                on_start(engine)
            reason = await _serve(engine, stop, exit_when_idle)
            finished = _finished_since(engine, started)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return WorkerReport(
        executor_id=executor_id,
        agents=[a.name for a in agent_list],
        started_at=started,
        stopped_at=time.time(),
        finished_runs=finished,
        stopped_because=reason,
    )


async def _serve(engine: Engine, stop: asyncio.Event, exit_when_idle: bool) -> str:
    idle = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.5)
        if exit_when_idle:
            idle = idle + 1 if await engine.busy() == 0 else 0
            if idle >= _IDLE_CHECKS:
                return "idle"
    return "signal"


def _finished_since(engine: Engine, started: float) -> int:
    count = 0
    for status in ("completed", "escalated", "denied", "failed", "cancelled"):
        count += sum(
            1
            for record in engine.runs.list(status=status, limit=1000)
            if record.ended_at is not None and record.ended_at >= started
        )
    return count
