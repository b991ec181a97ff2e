"""`earned runs list|show`: what ran, how it ended."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from earned.cli._output import DatabaseOption, JsonOption, console, local_time, print_json
from earned.cli._render import render_result, status_text, table
from earned.config import Settings
from earned.errors import UserError
from earned.store import Database, RunStore

__all__ = ["runs_app"]

runs_app = typer.Typer(help="List and inspect runs.", no_args_is_help=True)


def _store(database: str | None) -> RunStore:
    db = Database(Settings.load(database_url=database).database_url)
    db.upgrade()
    return RunStore(db)


@runs_app.command("list")
def list_runs(
    agent: Annotated[str | None, typer.Option(help="Only this agent's runs.")] = None,
    status: Annotated[str | None, typer.Option(help="Only runs with this status.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's runs.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 20,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """List recent runs, newest first."""
    records = _store(database).list(agent=agent, status=status, tenant=tenant, limit=limit)
    if json_:
        print_json([dataclasses.asdict(r) for r in records])
        return
    rows = [
        [
            r.run_id,
            r.agent,
            status_text(r.status),
            r.tenant,
            r.steps,
            f"${r.cost:.4f}",
            local_time(r.created_at),
        ]
        for r in records
    ]
    console().print(
        table(None, ["run", "agent", "status", "tenant", "steps", "cost", "started"], rows)
    )


@runs_app.command("show")
def show_run(
    run_id: Annotated[str, typer.Argument(help="The run id.")],
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Show one run: its status, output or escalation, and policy decisions."""
    record = _store(database).get(run_id)
    if record is None:
        raise UserError(f"no run {run_id!r} in this database", run_id=run_id)
    if not record.finished:
        if json_:
            print_json(dataclasses.asdict(record))
        else:
            console().print(f"run {run_id} is {record.status} (agent {record.agent})")
        return
    result = record.to_result()
    if json_:
        print_json(result.model_dump(mode="json"))
    else:
        render_result(result, console())
