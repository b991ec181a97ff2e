"""`earned run`: run an agent durably from the command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from earned.cli._loading import load_agent
from earned.cli._output import console, err_console, print_json
from earned.cli._render import render_result
from earned.config import Settings
from earned.errors import UserError
from earned.models import default_registry
from earned.rollout import Stage
from earned.runtime import (
    Agent,
    Engine,
    Principal,
    RunLimits,
    RunRequest,
    RunResult,
    application_version,
)
from earned.runtime import _durable as durable
from earned.store import Database, RunStore

__all__ = ["EXIT_CODES", "run_command"]

#: Exit code for each final status, so scripts and CI can branch on the outcome.
EXIT_CODES = {
    "completed": 0,
    "failed": 1,
    "escalated": 3,
    "denied": 4,
    "cancelled": 5,
    "waiting_approval": 6,
}


def parse_input(raw: str | None, text: str | None) -> Any:
    """Read `--input` (JSON or @file.json) or `--text`."""
    if raw is not None and text is not None:
        raise UserError("give --input or --text, not both")
    if text is not None:
        return text
    if raw is None:
        return None
    source = raw
    if raw.startswith("@"):
        path = Path(raw[1:])
        if not path.is_file():
            raise UserError(f"no such input file: {path}", path=str(path))
        source = path.read_text(encoding="utf-8")
    try:
        return json.loads(source)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"--input is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            'pass JSON like \'{"order_id": "ord_1"}\', a file as @input.json, or plain text '
            "with --text",
            input=raw[:200],
        ) from None


def run_command(
    agent: Annotated[str, typer.Argument(help="The agent: MODULE:ATTR or path/to/file.py:ATTR.")],
    input: Annotated[
        str | None, typer.Option("--input", "-i", help="Input as JSON, or @file.json.")
    ] = None,
    text: Annotated[str | None, typer.Option("--text", "-t", help="Input as plain text.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Model to use, e.g. openai:gpt-4.1-mini.")
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(envvar="EARNED_DATABASE_URL", help="Database URL (default: ./.earned)."),
    ] = None,
    env: Annotated[
        str | None, typer.Option(envvar="EARNED_ENV", help="Environment for policy rules.")
    ] = None,
    user: Annotated[str | None, typer.Option(help="User the run acts for.")] = None,
    role: Annotated[str | None, typer.Option(help="Role of that user.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Tenant of that user.")] = None,
    capability: Annotated[str | None, typer.Option(help="Capability the run serves.")] = None,
    stage: Annotated[Stage | None, typer.Option(help="Autonomy stage to run at.")] = None,
    max_steps: Annotated[int | None, typer.Option(min=1, help="Step limit (default 20).")] = None,
    max_cost: Annotated[float | None, typer.Option(min=0, help="Dollar cap for the run.")] = None,
    run_id: Annotated[str | None, typer.Option(help="Run id (a run id never runs twice).")] = None,
    detach_on_approval: Annotated[
        bool,
        typer.Option(
            help="Return when the run waits for a human (exit 6); after the decision, "
            "`earned worker` finishes it. By default the command waits."
        ),
    ] = False,
    submit: Annotated[
        bool, typer.Option(help="Queue the run for `earned worker` and return at once.")
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run an agent durably and print how it ended.

    Exit codes: 0 completed, 1 failed, 3 escalated, 4 denied, 5 cancelled, 6 waiting for
    approval (with --detach-on-approval), 2 bad input.
    """
    loaded = load_agent(agent)
    payload = parse_input(input, text)
    if model is not None:
        default_registry().resolve(model)  # a bad model string fails before anything starts
    limits = (loaded.limits or RunLimits()).model_copy(
        update={k: v for k, v in {"max_steps": max_steps, "max_cost": max_cost}.items() if v}
    )
    principal = Principal(user=user, role=role, tenant=tenant)
    if submit:
        request = RunRequest.model_validate(
            {
                "agent": loaded.name,
                "input": payload,
                "principal": principal,
                "capability": capability or loaded.capability,
                "stage": stage.value if stage else None,
                "environment": Settings.load(environment=env).environment,
                "model": model,
                "limits": limits,
                **({"run_id": run_id} if run_id else {}),
            }
        )
        submit_run(loaded, request, database)
        if json_:
            print_json({"run_id": request.run_id, "status": "pending", "agent": loaded.name})
        else:
            console().print(
                f"queued {request.run_id}; a worker serving {loaded.name} will run "
                f"it: earned worker {agent}"
            )
        return
    result, approval_id = asyncio.run(
        _run(
            loaded,
            payload,
            database,
            env,
            model=model,
            principal=principal,
            capability=capability,
            stage=stage.value if stage else None,
            limits=limits,
            run_id=run_id,
            detach=detach_on_approval,
            quiet=json_,
        )
    )
    if json_:
        print_json({**result.model_dump(mode="json"), "approval_id": approval_id})
    else:
        render_result(result, console())
        if approval_id:
            console().print(
                f"waiting for approval {approval_id}: earned approvals show {approval_id}; "
                f"after a decision, `earned worker {agent}` finishes the run"
            )
    raise typer.Exit(EXIT_CODES.get(result.status, 1))


def submit_run(agent: Agent, request: RunRequest, database: str | None) -> None:
    """Record the run and put it on the agent's queue, without starting an engine here."""
    url = Settings.load(database_url=database).database_url
    db = Database(url)
    db.upgrade()
    durable.migrate_system_database(url)
    RunStore(db).create(request, status="pending")
    durable.client_enqueue(
        url,
        durable.queue_name(agent.name),
        request.run_id,
        request.model_dump(mode="json"),
        partition=request.principal.tenant or "-",
        application_version=application_version([agent]),
    )
    db.close()


async def _run(
    agent: Any,
    payload: Any,
    database: str | None,
    env: str | None,
    *,
    detach: bool,
    quiet: bool,
    **options: Any,
) -> tuple[RunResult, str | None]:
    """The run's result, and the approval it waits for when it was left waiting."""
    async with Engine([agent], database_url=database, environment=env) as engine:
        handle = await engine.start(agent, payload, **options)
        while True:
            record = await engine.settle(handle.run_id)
            if record.status != "waiting_approval":
                return await handle.result(), None
            waiting = engine.approvals.list(run_id=handle.run_id)
            if detach:
                waits = RunResult(
                    run_id=handle.run_id,
                    agent=record.agent,
                    status="waiting_approval",
                    principal=record.principal,
                    capability=record.capability,
                    stage=record.stage,
                    started_at=record.created_at,
                )
                return waits, waiting[0].approval_id if waiting else None
            if not quiet and waiting:
                err_console().print(
                    f"run {handle.run_id} waits for approval {waiting[0].approval_id} "
                    f"({waiting[0].summary}). In another terminal: earned approvals approve "
                    f"{waiting[0].approval_id} --as NAME  (or reject it with --reason)"
                )
            await _until_decided(engine, handle.run_id)


async def _until_decided(engine: Engine, run_id: str) -> None:
    while (record := engine.runs.get(run_id)) is not None and record.status == "waiting_approval":
        await asyncio.sleep(0.2)
