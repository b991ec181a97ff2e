"""Rich renderings of run results and tables shared by several commands."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from earned.runtime import RunResult

__all__ = ["STATUS_STYLES", "render_result", "table"]

STATUS_STYLES = {
    "completed": "green",
    "escalated": "yellow",
    "denied": "red",
    "failed": "bold red",
    "cancelled": "dim",
    "running": "cyan",
    "pending": "cyan",
    "waiting_approval": "magenta",
    "approved": "green",
    "reserved": "green",
    "consumed": "dim",
    "rejected": "red",
    "expired": "yellow",
    "committed": "green",
    "reconciled": "green",
    "unknown": "yellow",
    "intended": "cyan",
    "allow": "green",
    "deny": "red",
    "require_approval": "magenta",
}


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A plain table with the given columns."""
    out = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*(c if isinstance(c, Text) else Text(_cell(c)) for c in row))
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value) or "-"
    return str(value)


def status_text(status: str) -> Text:
    """The status, coloured."""
    return Text(status, style=STATUS_STYLES.get(status, ""))


def render_result(result: RunResult, console: Console) -> None:
    """Print a run result: status, output or reason, decisions, usage."""
    head = Text.assemble(
        ("run ", "bold"),
        (result.run_id, "bold"),
        "  ",
        status_text(result.status),
        f"  agent {result.agent}  steps {result.steps}",
    )
    parts: list[Any] = [head]
    if result.output is not None:
        output = (
            result.output
            if isinstance(result.output, str)
            else json.dumps(result.output, indent=2, sort_keys=True)
        )
        parts.append(Panel(output, title="output", title_align="left"))
    if result.escalation is not None:
        parts.append(_escalation(result))
    if result.error is not None:
        parts.append(Text(f"{result.error['type']}: {result.error['message']}", style="red"))
    if result.decisions:
        parts.append(
            table(
                "policy decisions",
                ["tool", "decision", "rule", "reason"],
                (
                    [d["tool"], status_text(d["effect"]), d["rule_id"], d["reason"]]
                    for d in result.decisions
                ),
            )
        )
    cost = (
        f"${result.cost:.4f}" if result.cost_known else f"${result.cost:.4f}+ (some prices unknown)"
    )
    parts.append(
        Text(
            f"tokens {result.usage.input_tokens} in / {result.usage.output_tokens} out"
            f"   cost {cost}"
            + ("   TAINTED: untrusted content was flagged" if result.tainted else ""),
            style="dim",
        )
    )
    console.print(Group(*parts))


def _escalation(result: RunResult) -> Panel:
    esc = result.escalation
    assert esc is not None
    lines = [Text(esc.reason, style="yellow")]
    if esc.tried:
        tried = ", ".join(f"{t.get('tool')} ({t.get('status')})" for t in esc.tried)
        lines.append(Text(f"tried: {tried}"))
    if esc.gathered:
        lines.append(Text(f"gathered: {', '.join(str(g.get('tool')) for g in esc.gathered)}"))
    return Panel(Group(*lines), title="escalated to a human", title_align="left")
