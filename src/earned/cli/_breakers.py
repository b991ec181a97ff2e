"""`earned breakers`: the circuit breakers of tools and models, and `reset NAME`."""

from __future__ import annotations

import getpass
import os
import time
from typing import Annotated, Any

import typer
from rich.text import Text

from earned.cli._output import DatabaseOption, JsonOption, console, local_time, print_json
from earned.cli._render import table
from earned.config import Settings
from earned.guards import BreakerRecord, BreakerStore
from earned.store import Database

__all__ = ["breakers_app"]

breakers_app = typer.Typer()


_STYLE = {"closed": "green", "half_open": "yellow", "open": "bold red"}


def _store(database: str | None) -> BreakerStore:
    db = Database(Settings.load(database_url=database).database_url)
    db.upgrade()
    return BreakerStore(db)


def _row(record: BreakerRecord, now: float) -> dict[str, Any]:
    data = record.to_dict()
    data["kind"] = record.name.split(":", 1)[0]
    # An open breaker whose cool-down is over lets the next call through as its probe.
    data["probe_due"] = record.state == "open" and (record.retry_at or 0.0) <= now
    return data


@breakers_app.callback(invoke_without_command=True)
def list_breakers(
    ctx: typer.Context,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Circuit breakers of tools and models: list them (this), or `reset` one.

    Each breaker's state, since when, why it opened, when it may be probed.
    Shared breakers show the state every worker obeys; per-process ones
    show the last state any process reported (scope `local`).
    """
    if ctx.invoked_subcommand is not None:
        return
    now = time.time()
    rows = [_row(r, now) for r in _store(database).records()]
    if json_:
        print_json({"breakers": rows})
        return
    if not rows:
        console().print("no breaker has left `closed` yet")
        return
    grid = table(
        "circuit breakers",
        ["breaker", "scope", "state", "since", "retry after", "why", "by"],
        [
            [
                r["name"],
                r["scope"],
                Text(r["state"], style=_STYLE.get(r["state"], "")),
                local_time(r["updated_at"]),
                "now (next call probes)" if r["probe_due"] else local_time(r["retry_at"]),
                r["reason"] or "",
                r["updated_by"] or "",
            ]
            for r in rows
        ],
    )
    console().print(grid)


@breakers_app.command("reset")
def reset_breaker(
    name: Annotated[str, typer.Argument(help="The breaker: `tool:NAME` or `model:NAME`.")],
    reason: Annotated[str, typer.Option(help="Why, for the audit log.")] = "reset by hand",
    actor: Annotated[
        str | None, typer.Option("--as", envvar="EARNED_USER", help="Who acts (default: $USER).")
    ] = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Close a breaker now (audited as `breaker.reset`).

    A shared breaker closes for every worker at once; a per-process one
    closes in each process at its next call. If the dependency still fails,
    the breaker opens again.
    """
    who = actor or os.environ.get("USER") or getpass.getuser()
    after = _store(database).reset(name, actor=who, reason=reason)
    if json_:
        print_json({"breakers": [_row(r, time.time()) for r in after]})
        return
    console().print(Text.assemble(f"{name} is now ", Text("closed", style="green"), f" ({reason})"))
