"""`earned worker`: serve agents' queues, durably, until stopped."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from earned.cli._loading import load_agent
from earned.cli._output import console, print_json
from earned.runtime import QueueSettings
from earned.runtime._worker import run_worker

__all__ = ["worker_command"]


def worker_command(
    agents: Annotated[
        list[str], typer.Argument(help="The agents to serve: MODULE:ATTR (one or more).")
    ],
    database: Annotated[
        str | None,
        typer.Option(envvar="EARNED_DATABASE_URL", help="Database URL (default: ./.earned)."),
    ] = None,
    executor_id: Annotated[
        str,
        typer.Option(
            envvar="EARNED_EXECUTOR_ID",
            help="A stable id per worker: a restarted worker resumes the runs it had taken.",
        ),
    ] = "local",
    concurrency: Annotated[
        int, typer.Option(min=1, help="Runs of each agent this worker takes at once.")
    ] = 8,
    tenant_concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Runs of one tenant at once, across all workers."),
    ] = None,
    exit_when_idle: Annotated[
        bool, typer.Option(help="Stop when nothing is queued or running (waits excepted).")
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print a JSON report at the end.")] = False,
) -> None:
    """Run a worker: recover this executor's runs, then take runs from the agents' queues.

    Stop it with Ctrl-C or SIGTERM; runs in flight resume when it starts again.
    """
    loaded = [load_agent(ref) for ref in agents]
    settings = QueueSettings(worker_concurrency=concurrency, tenant_concurrency=tenant_concurrency)
    out = console()
    if not json_:
        names = ", ".join(a.name for a in loaded)
        out.print(f"worker {executor_id} serving {names}; Ctrl-C to stop")
    report = asyncio.run(
        run_worker(
            loaded,
            database_url=database,
            executor_id=executor_id,
            queues=settings,
            exit_when_idle=exit_when_idle,
        )
    )
    if json_:
        print_json(report.to_dict())
    else:
        out.print(
            f"worker {executor_id} stopped ({report.stopped_because}): "
            f"{report.finished_runs} run(s) finished"
        )
