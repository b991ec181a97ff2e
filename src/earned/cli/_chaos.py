"""`earned chaos`: kill workers at random and count what a crash could have broken."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from earned.cli._output import console, print_json
from earned.cli._render import table

__all__ = ["chaos_command"]

_MUST_BE_ZERO = [
    ("duplicate side effects", "duplicate_side_effects"),
    ("lost runs", "lost_runs"),
    ("lost approvals", "lost_approvals"),
    ("double-consumed approvals", "double_consumed_approvals"),
    ("side effects without their approval", "unapproved_side_effects"),
]


def chaos_command(
    target: Annotated[
        str, typer.Argument(help="A ChaosTarget: MODULE:ATTR (default: the built-in one).")
    ] = "earned.chaos:TARGET",
    runs: Annotated[int, typer.Option(min=1, help="Runs to submit.")] = 200,
    kills: Annotated[int, typer.Option(min=0, help="Worker SIGKILLs, at random moments.")] = 20,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    database: Annotated[
        str, typer.Option(help="Database URL (PostgreSQL for several workers).")
    ] = "sqlite:///./.earned/chaos.db",
    seed: Annotated[int, typer.Option(help="Random seed (inputs, kills, verdicts).")] = 0,
    timeout: Annotated[float, typer.Option(min=1, help="Give up after this many seconds.")] = 900,
    json_: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Submit runs, SIGKILL workers at random (also mid-approval), restart them, and count.

    Exit code 1 when any count that must be zero is not.
    """
    from earned.chaos import run_chaos

    if json_:
        report = run_chaos(
            target,
            runs=runs,
            kills=kills,
            database_url=database,
            workers=workers,
            seed=seed,
            timeout=timeout,
        )
        print_json(report.to_dict())
        raise typer.Exit(0 if report.ok else 1)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("kills {task.fields[kills]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console()) as bar:
        task = bar.add_task("runs ended", total=runs, kills=0)

        def progress(ended: int, total: int, killed: int) -> None:
            bar.update(task, completed=ended, total=total, kills=killed)

        report = run_chaos(
            target,
            runs=runs,
            kills=kills,
            database_url=database,
            workers=workers,
            seed=seed,
            timeout=timeout,
            progress=progress,
        )
    rows = [[label, getattr(report, key)] for label, key in _MUST_BE_ZERO]
    out = console()
    out.print(
        table(
            f"chaos: {report.runs} runs, {report.kills} kills "
            f"({report.kills_while_waiting} while approvals waited), "
            f"{report.workers} worker(s) on {report.database}",
            ["must be zero", "count"],
            rows,
        )
    )
    out.print(
        f"runs: {report.runs_by_status}   ledger: {report.ledger}   side effects: "
        f"{report.side_effects}   approvals decided: {report.approvals_decided}   "
        f"{report.seconds}s"
    )
    out.print("[green]all zero[/]" if report.ok else "[bold red]NOT ZERO: see above[/]")
    raise typer.Exit(0 if report.ok else 1)
