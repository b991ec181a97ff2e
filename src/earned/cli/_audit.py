"""`earned audit`: the append-only audit log, newest first, filtered."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Annotated, Any

import typer

from earned.cli._output import console, print_json
from earned.cli._render import table
from earned.config import Settings
from earned.errors import UserError
from earned.store import AuditEntry, AuditLog, Database
from earned.store._audit import MAX_LIMIT

__all__ = ["audit_command", "parse_since"]


def parse_since(text: str, *, now: float | None = None) -> float:
    """Epoch seconds from `24h`/`7d` (that long ago) or an ISO date or time (UTC if naive)."""
    from earned.metrics import parse_window

    if text and text[0].isdigit() and text[-1] in "smhdw" and text[:-1].isdigit():
        return (time.time() if now is None else now) - parse_window(text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"cannot read --since {text!r}; write a duration (30m, 24h, 7d) or an ISO date "
            "or time (2026-03-10, 2026-03-10T14:00)",
            since=text,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def _short(value: Any) -> str:
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _row(entry: AuditEntry) -> list[Any]:
    at = dt.datetime.fromtimestamp(entry.at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    change = f"{_short(entry.before)} -> {_short(entry.after)}"
    return [entry.audit_id, at, entry.actor, entry.action, entry.target, change, entry.reason]


def audit_command(
    actor: Annotated[str | None, typer.Option(help="Only entries by this actor.")] = None,
    action: Annotated[
        str | None,
        typer.Option(help="Only this action, or a prefix: rollout.* , release.* , policy.*"),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(help="Only this target (a capability, agent:NAME, matrix:NAME, ...)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only entries since: a duration ago (24h, 7d) or an ISO date/time."),
    ] = None,
    limit: Annotated[int, typer.Option(help=f"At most this many (1-{MAX_LIMIT}).")] = 50,
    database: Annotated[
        str | None,
        typer.Option(envvar="EARNED_DATABASE_URL", help="Database URL (default: ./.earned)."),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The audit log, newest first: who changed what, when, from what to what, and why.

    Stage moves and flag flips (rollout.*), attestations (release.attest), version pins
    (versions.*), policy, matrix and gate-manifest changes (policy.changed, matrix.changed,
    manifest.changed) and retention prunes (retention.prune). The log is append-only: no
    command edits or deletes an entry.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise UserError(f"--limit must be between 1 and {MAX_LIMIT}, got {limit}", limit=limit)
    start = parse_since(since) if since else None
    db = Database(Settings.load(database_url=database).database_url)
    try:
        db.upgrade()
        entries = AuditLog(db).list(
            actor=actor, action=action, target=target, since=start, limit=limit
        )
    finally:
        db.close()
    if json_:
        print_json({"entries": [e.to_dict() for e in entries]})
        return
    columns = ["id", "at (UTC)", "actor", "action", "target", "before -> after", "reason"]
    console().print(table(None, columns, [_row(e) for e in entries]))
    if not entries:
        console().print("no audit entries match")
