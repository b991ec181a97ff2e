"""`earned shadow run`: run an agent at stage shadow on a dataset or past traces; compare."""

from __future__ import annotations

import asyncio
import inspect
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from earned.cli._loading import load_object
from earned.cli._output import DatabaseOption, JsonOption, console, err_console, print_json
from earned.cli._render import table
from earned.config import Settings
from earned.errors import UserError
from earned.runtime import Agent
from earned.store import Database
from earned.tracing import TraceQuery, parse_time

__all__ = ["agent_option", "load_rehearsal_agent", "open_database", "shadow_app", "trace_query"]

shadow_app = typer.Typer(
    help="Shadow mode: run an agent on past inputs beside the humans; it acts on nothing.",
    no_args_is_help=True,
)

#: Disagreements (or replays) listed in the terminal; --json lists them all.
SHOWN = 20


def agent_option() -> Any:
    """The `--agent MODULE:ATTR` option (also read from EARNED_AGENT)."""
    return typer.Option(
        "--agent",
        envvar="EARNED_AGENT",
        help="The agent: MODULE:ATTR or path/to/file.py:ATTR (an Agent, or a function "
        "returning one; given model=... when it takes a `model`).",
    )


def load_rehearsal_agent(ref: str | None, model: str | None) -> Agent:
    """The agent `ref` names; a factory taking `model` is called with `--model`."""
    if not ref:
        raise UserError(
            "which agent? pass --agent MODULE:ATTR (or set EARNED_AGENT), e.g. "
            "--agent examples/refund_agent/agent.py:AGENT"
        )
    target = load_object(ref)
    if not isinstance(target, Agent) and callable(target):
        takes_model = "model" in inspect.signature(target).parameters
        target = target(model=model) if takes_model and model is not None else target()
    if not isinstance(target, Agent):
        raise UserError(
            f"{ref} is a {type(target).__name__}, not an earned Agent or a function that "
            "returns one",
            ref=ref,
        )
    return target


def open_database(url: str | None) -> Database:
    """The project database, migrated."""
    db = Database(Settings.load(database_url=url).database_url)
    db.upgrade()
    return db


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def trace_query(
    *,
    since: str | None,
    until: str | None,
    capability: str | None,
    agent_name: str | None,
    status: str | None,
    tool: str | None,
    tenant: str | None,
    user: str | None,
    limit: int,
) -> TraceQuery:
    """The TraceQuery of the trace filter options (newest runs first)."""
    now = time.time()
    return TraceQuery(
        since=None if since is None else parse_time(since, now=now, what="--since"),
        until=None if until is None else parse_time(until, now=now, what="--until"),
        agent=agent_name,
        capability=capability,
        status=_split(status),
        tool=tool,
        tenant=tenant,
        user=user,
        limit=min(limit, 1000),
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _print_report(report: Any) -> None:
    out = console()
    data = report.to_dict()
    out.print(
        f"shadow {data['capability'] or data['agent']} on {data['source']}: "
        f"{data['cases']} inputs, {data['labelled']} with a human decision, "
        f"agreement {_pct(data['agreement'])} ({data['agreed']}/{data['labelled']}) on "
        f"{data['compared']}, in {data['seconds']:.1f}s"
    )
    rows = [[c["class"], c["cases"], c["agreed"], _pct(c["agreement"])] for c in data["per_class"]]
    out.print(table("agreement per class", ["class", "cases", "agreed", "agreement"], rows))
    labels = sorted({a for row in data["confusion"].values() for a in row})
    grid = [[human, *[row.get(a, 0) for a in labels]] for human, row in data["confusion"].items()]
    out.print(table("confusion", ["human \\ agent", *labels], grid))
    disagreements = data["disagreements"]
    if disagreements:
        rows = [
            [d["key"], d["class"], d["human"], d["agent"], d["run_id"],
             d["source_run_id"] or "-", d["detail"] or ""]
            for d in disagreements[:SHOWN]
        ]  # fmt: skip
        columns = ["input", "class", "human", "agent", "shadow trace", "original", "detail"]
        out.print(table(f"disagreements ({len(disagreements)})", columns, rows))
        if len(disagreements) > SHOWN:
            out.print(f"... {len(disagreements) - SHOWN} more: --json lists them all")
    statuses = ", ".join(f"{k} {v}" for k, v in data["statuses"].items())
    out.print(
        f"shadow runs: {statuses}; writes simulated {data['simulated_writes']}, "
        f"executed {data['executed_writes']}; session {data['session']}"
    )
    for note in data["notes"]:
        out.print(f"note: {note}")


@shadow_app.command("run")
def run_command(
    capability: Annotated[
        str, typer.Argument(help="The capability shadowed (runs are filed under it).")
    ],
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="A dataset (PATH.jsonl, its expected fields are the human labels) "
            "or `traces` (past runs, judged by their approvals and review decisions).",
        ),
    ],
    agent: Annotated[str | None, agent_option()] = None,
    matrix: Annotated[
        Path | None,
        typer.Option(help="The capability matrix (capabilities.yaml): live stages and switches."),
    ] = None,
    compare: Annotated[str, typer.Option(help="What is compared: decision or class.")] = "decision",
    split: Annotated[
        str | None, typer.Option(help="Only this split of the dataset (train or test).")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Run the agent on this model, e.g. openai:gpt-4.1-mini.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Traces: runs started after this (7d, 12h, ISO 8601).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Traces: runs started before this.")] = None,
    any_capability: Annotated[
        bool,
        typer.Option("--any-capability", help="Traces: every capability's runs, not only its own."),
    ] = False,
    agent_name: Annotated[str | None, typer.Option(help="Traces: only this agent's runs.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Traces: only these statuses, e.g. completed,escalated.")
    ] = None,
    tool: Annotated[str | None, typer.Option(help="Traces: only runs that called this.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Traces: only this tenant's runs.")] = None,
    user: Annotated[str | None, typer.Option(help="Traces: only this user's runs.")] = None,
    live_reads: Annotated[
        bool,
        typer.Option(
            "--live-reads", help="Traces: read live data, not what the original runs read."
        ),
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many inputs.")] = 1000,
    concurrency: Annotated[int, typer.Option(min=1, help="Shadow runs at once.")] = 8,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Run CAPABILITY's agent at stage shadow on a dataset or past traces; compare with humans.

    Writes are never executed (each is answered with a marked, simulated result); reads
    run. Reports agreement overall and per class, a confusion table and every disagreement
    with both decisions and both trace ids. Shadow runs are stored (run ids `shadow_...`).

    earned shadow run submit_refund --from examples/refund_agent/datasets/golden.jsonl
    --split test --agent examples/refund_agent/agent.py:AGENT
    """
    from earned.replay import Compared, ProgressBar, ShadowRunner, trace_inputs
    from earned.runtime import _durable as durable

    if compare not in ("decision", "class"):
        raise UserError(f"--compare must be decision or class, not {compare!r}", compare=compare)
    compared: Compared = compare
    loaded = load_rehearsal_agent(agent, model)
    show_progress = not json_ and err_console().is_terminal
    db = open_database(database)
    records = durable.RecordedRuns(db.url)
    try:
        if source == "traces":
            query = trace_query(
                since=since, until=until, capability=None if any_capability else capability,
                agent_name=agent_name, status=status, tool=tool, tenant=tenant, user=user,
                limit=limit,
            )  # fmt: skip
            inputs, label = trace_inputs(db, query, compare=compared, records=records), "traces"
        else:
            inputs, label = _dataset(source, compared, split, limit)
        if not inputs:
            raise UserError(f"nothing to shadow: no input found in {label}", source=source)
        runner = ShadowRunner(
            db, loaded, capability=capability, matrix=matrix, compare=compared,
            concurrency=concurrency, model=model, recorded_reads=not live_reads,
            records=records, progress=ProgressBar(err_console()) if show_progress else None,
        )  # fmt: skip
        report = asyncio.run(_run(runner, inputs, label))
    finally:
        records.close()
        db.close()
    if json_:
        print_json(report.to_dict())
    else:
        _print_report(report)


def _dataset(source: str, compare: Any, split: str | None, limit: int) -> tuple[list[Any], str]:
    from earned.replay import dataset_inputs

    path = Path(source)
    if not path.is_file():
        raise UserError(
            f"--from {source!r} is neither `traces` nor a dataset file",
            source=source,
            fix="pass PATH.jsonl (a dataset) or `traces`",
        )
    label = path.name + (f" ({split})" if split else "")
    return dataset_inputs(path, compare=compare, split=split)[:limit], label


async def _run(runner: Any, inputs: Any, label: str) -> Any:
    async with runner:
        return await runner.run(inputs, source=label)
