"""Terminal output: Rich for people, `--json` for scripts, one error format for both."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Annotated, Any

import typer
from pydantic_core import to_jsonable_python
from rich.console import Console

__all__ = [
    "DatabaseOption",
    "JsonOption",
    "console",
    "err_console",
    "local_time",
    "print_error",
    "print_json",
]

#: The `--database` option every command that reads the project database takes.
DatabaseOption = Annotated[
    str | None,
    typer.Option(envvar="EARNED_DATABASE_URL", help="Database URL (default: ./.earned)."),
]
#: The `--json` option of every command that reports something.
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def local_time(ts: float | None) -> str:
    """A timestamp as local `YYYY-MM-DD HH:MM:SS` for tables; `-` when there is none."""
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts).isoformat(sep=" ", timespec="seconds")


def console() -> Console:
    """A console on stdout (made per call: no module-level state)."""
    return Console(highlight=False, soft_wrap=False)


def err_console() -> Console:
    """A console on stderr."""
    return Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """Write `data` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(to_jsonable_python(data, fallback=str), indent=2, sort_keys=True))
    sys.stdout.write("\n")


def print_error(
    message: str,
    *,
    fix: str | None = None,
    as_json: bool = False,
    details: dict[str, Any] | None = None,
    kind: str = "error",
) -> None:
    """Report a user error: what was wrong and how to fix it, never a stack trace."""
    if as_json:
        payload = {"error": {"type": kind, "message": message, "fix": fix, "details": details}}
        print_json(payload)
        return
    out = err_console()
    out.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    if fix:
        out.print(f"[bold]fix:[/] {fix}", markup=True, highlight=False)
