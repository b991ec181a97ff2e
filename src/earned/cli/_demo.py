"""`earned demo`: the offline story, on the embedded default (SQLite under ./.earned)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.panel import Panel
from rich.text import Text

from earned.cli._output import console, print_json
from earned.cli._render import status_text, table

__all__ = ["demo_command"]


def demo_command(
    database: Annotated[
        str | None,
        typer.Option(envvar="EARNED_DATABASE_URL", help="Database URL (default: ./.earned)."),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run a small support agent on seven tickets, offline, durably, under policy."""
    from earned.demo import run_demo

    out = console()
    if json_:
        summary = asyncio.run(run_demo(database_url=database))
        print_json(summary.to_dict())
        return
    with out.status("running the demo tickets durably..."):
        summary = asyncio.run(run_demo(database_url=database))
    rows = [
        [
            Text.assemble(r["ticket_id"], "\n", (r["shows"], "dim")),
            status_text(r["status"]),
            r["outcome"],
            r["rules"][-1] if r["rules"] else "-",
        ]
        for r in summary.rows
    ]
    columns = ["ticket", "status", "outcome", "deciding rule"]
    out.print(table(f"demo_support at stage {summary.stage}", columns, rows))
    counts = ", ".join(f"{n} {s}" for s, n in summary.by_status.items())
    lines = [f"{len(summary.rows)} runs: {counts}", f"stored in {summary.database_url}"]
    if summary.waiting:
        lines += [
            f"{len(summary.waiting)} run(s) wait for a reviewer. Decide, then let a worker "
            "finish them:",
            "  earned approvals list",
            "  earned approvals show APPROVAL_ID",
            "  earned approvals approve APPROVAL_ID --as YOUR_NAME",
            "  earned worker earned.demo:build_agent --exit-when-idle",
        ]
    lines.append(
        "explore: earned runs list | earned runs show RUN_ID | earned tools earned.demo:build_agent"
    )
    out.print(Panel("\n".join(lines), title="earned demo", title_align="left"))
