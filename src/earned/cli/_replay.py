"""`earned replay TRACE_ID` and `earned replay batch`: re-run recorded runs, show the diff."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from earned.cli._output import DatabaseOption, JsonOption, console, err_console, print_json
from earned.cli._render import table
from earned.cli._shadow import (
    SHOWN,
    agent_option,
    load_rehearsal_agent,
    open_database,
    trace_query,
)
from earned.errors import UserError

__all__ = ["EXIT_DIFFERENT", "replay_app"]

#: Exit code when a replay differs from its recording (0 when every replay is identical).
EXIT_DIFFERENT = 1
#: Longest value shown in a terminal diff.
_WIDTH = 60


class _TraceOrCommand(TyperGroup):
    """`earned replay TRACE_ID` means `earned replay run TRACE_ID`."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """A first argument that is no subcommand is a trace id."""
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().resolve_command(ctx, args)


replay_app = typer.Typer(
    cls=_TraceOrCommand,
    help="Replay recorded runs with another prompt, model or agent; tool results come from "
    "the recording, so the runs are deterministic. `earned replay TRACE_ID` replays one.",
    no_args_is_help=True,
)

PromptOption = Annotated[
    str | None,
    typer.Option(help="Replay with these instructions: TEXT, or @file to read them from a file."),
]
ModelOption = Annotated[
    str | None, typer.Option(help="Replay on this model, e.g. openai:gpt-4.1 (the run's model).")
]
LiveStepsOption = Annotated[
    bool,
    typer.Option(
        help="Re-run checkpointed steps (clocks, draws) instead of their recorded values."
    ),
]


def _prompt(value: str | None) -> str | None:
    if value is None or not value.startswith("@"):
        return value
    path = Path(value[1:])
    if not path.is_file():
        raise UserError(f"no such prompt file: {path}", path=str(path))
    return path.read_text(encoding="utf-8")


def _replayer(
    agent: str | None, prompt: str | None, model: str | None, live_steps: bool, db: Any
) -> Any:
    from earned.replay import Replayer

    loaded = load_rehearsal_agent(agent, model)
    return Replayer(db, loaded, prompt=_prompt(prompt), model=model, live_steps=live_steps)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = text.replace("\n", " ")
    return text if len(text) <= _WIDTH else text[: _WIDTH - 1] + "…"


def _decision(view: dict[str, Any] | None) -> str:
    return "-" if view is None else f"{view['effect']} ({view['rule_id']})"


def _print_result(result: Any) -> None:
    out = console()
    data = result.to_dict()
    verdict = "identical" if data["identical"] else "DIFFERENT"
    out.print(
        f"replayed {data['original_run_id']} as {data['run_id']}: {verdict} "
        f"({data['calls_served']}/{data['calls_recorded']} recorded calls served, "
        f"{len(data['divergences'])} divergences, {data['seconds'] * 1000:.0f} ms)"
    )
    diff = data["diff"]
    for name in ("status", "decision", "classification"):
        if diff[name] is not None:
            out.print(f"{name}: {diff[name][0]} -> {diff[name][1]}")
    if diff["calls"]:
        rows = [
            [c["change"], c["tool"], _short((c["before"] or {}).get("arguments", "")),
             _short((c["after"] or {}).get("arguments", "")),
             ", ".join(c["fields"]) or "-"]
            for c in diff["calls"]
        ]  # fmt: skip
        out.print(table("tool calls", ["change", "tool", "before", "after", "fields"], rows))
    if diff["policy"]:
        rows = [[p["tool"], _decision(p["before"]), _decision(p["after"])] for p in diff["policy"]]
        out.print(table("policy decisions", ["tool", "before", "after"], rows))
    if diff["output"]:
        rows = [[k, _short(v[0]), _short(v[1])] for k, v in diff["output"].items()]
        out.print(table("output", ["field", "before", "after"], rows))
    if diff["versions"]:
        rows = [[k, str(v[0]), str(v[1])] for k, v in diff["versions"].items()]
        out.print(table("versions", ["part", "recorded", "replayed"], rows))
    if data["divergences"]:
        rows = [
            [d["kind"], d["tool"], _short(d["arguments"]),
             _short(d["recorded_arguments"]) if d["recorded_arguments"] else "-",
             _short(d["policy_would"]["effect"] if d["policy_would"] else "-")]
            for d in data["divergences"]
        ]  # fmt: skip
        columns = ["divergence", "tool", "arguments", "recorded", "policy would"]
        out.print(table("divergences (never executed)", columns, rows))
    if data["source"] == "spans":
        out.print(
            "note: tool results were rebuilt from the redacted trace (logged fields only): "
            f"{data['problem'] or 'the durable step records were not available'}"
        )
    if not data["input_exact"]:
        out.print("note: the input is the stored, redacted one (the exact request was not found)")


@replay_app.command("run")
def run_command(
    trace_id: Annotated[str, typer.Argument(help="The recorded run (its trace id).")],
    agent: Annotated[str | None, agent_option()] = None,
    prompt: PromptOption = None,
    model: ModelOption = None,
    live_steps: LiveStepsOption = False,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Replay one recorded run; show the diff of decisions, tool calls and output.

    Tool calls are answered from the recording, matched by tool and arguments in order; a
    call the recording lacks is a divergence, answered with an error and never executed.
    Exit 0 when the replay reproduces the recording, 1 when it differs.

    earned replay run_6b01... --agent app.agents:refund_agent --model openai:gpt-4.1
    """
    with open_database(database) as db:
        replayer = _replayer(agent, prompt, model, live_steps, db)
        result = asyncio.run(_one(replayer, trace_id))
    if json_:
        print_json(result.to_dict())
    else:
        _print_result(result)
    if not result.identical:
        raise typer.Exit(EXIT_DIFFERENT)


async def _one(replayer: Any, trace_id: str) -> Any:
    async with replayer:
        return await replayer.replay(trace_id)


def _print_batch(batch: Any) -> None:
    data = batch.to_dict()
    rows: list[list[Any]] = []
    for r in data["results"][:SHOWN]:
        diff = r["diff"]
        status = " -> ".join(diff["status"]) if diff["status"] else r["status"]
        decision = " -> ".join(str(d) for d in diff["decision"]) if diff["decision"] else "="
        rows.append([
            r["original_run_id"], r["run_id"], status, decision,
            f"{r['calls_served']}/{r['calls_recorded']}", len(r["divergences"]),
            "yes" if r["identical"] else "NO",
        ])  # fmt: skip
    columns = ["recorded", "replay", "status", "decision", "served", "divergences", "same"]
    out = console()
    out.print(table(f"replay batch {data['batch']}", columns, rows))
    if len(data["results"]) > SHOWN:
        out.print(f"... {len(data['results']) - SHOWN} more: --json lists them all")
    out.print(
        f"{data['replayed']} replayed: {data['identical']} identical, {data['diverged']} with "
        f"divergences, {data['decision_changed']} decisions changed, "
        f"{data['status_changed']} statuses changed, in {data['seconds']:.1f}s"
    )
    for run_id, problem in data["failures"].items():
        out.print(f"could not replay {run_id}: {problem}")


@replay_app.command("batch")
def batch_command(
    agent: Annotated[str | None, agent_option()] = None,
    prompt: PromptOption = None,
    model: ModelOption = None,
    live_steps: LiveStepsOption = False,
    since: Annotated[
        str | None, typer.Option(help="Runs started after this: 7d, 12h, or ISO 8601.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Runs started before this.")] = None,
    capability: Annotated[str | None, typer.Option(help="Only runs of this capability.")] = None,
    agent_name: Annotated[str | None, typer.Option(help="Only this agent's runs.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Only these statuses, comma-separated: failed,escalated.")
    ] = None,
    tool: Annotated[str | None, typer.Option(help="Only runs that called this tool.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's runs.")] = None,
    user: Annotated[str | None, typer.Option(help="Only this user's runs.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many runs.")] = 50,
    concurrency: Annotated[int, typer.Option(min=1, help="Replays at once.")] = 4,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Replay every recorded run the filters find (newest first); a summary table.

    Shadow and replay runs are never replayed. Exit 0 when every replay reproduces its
    recording, 1 when any differs or fails.

    earned replay batch --since 7d --status escalated --agent app.agents:refund_agent
    --prompt @prompts/refund_v3.txt
    """
    from earned.replay import ProgressBar

    query = trace_query(
        since=since, until=until, capability=capability, agent_name=agent_name,
        status=status, tool=tool, tenant=tenant, user=user, limit=limit,
    )  # fmt: skip
    show_progress = not json_ and err_console().is_terminal
    progress = ProgressBar(err_console(), what="different") if show_progress else None
    with open_database(database) as db:
        replayer = _replayer(agent, prompt, model, live_steps, db)
        batch = asyncio.run(_many(replayer, query, concurrency, progress))
    if json_:
        print_json(batch.to_dict())
    else:
        _print_batch(batch)
    if batch.failures or batch.identical < len(batch.results):
        raise typer.Exit(EXIT_DIFFERENT)


async def _many(replayer: Any, query: Any, concurrency: int, progress: Any) -> Any:
    async with replayer:
        return await replayer.replay_many(query, concurrency=concurrency, progress=progress)
