"""`earned traces list|show|export|prune`: search, read, send on, and prune traces."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from earned.cli._output import DatabaseOption, JsonOption, console, print_json
from earned.cli._render import status_text, table
from earned.config import Settings
from earned.errors import UserError
from earned.store import Database
from earned.tracing import (
    COST_BUCKETS,
    DATA_CLASSES,
    DataClass,
    RetentionPolicy,
    SortKey,
    TraceQuery,
    TraceStore,
    TraceSummary,
    parse_duration,
    parse_time,
    prune,
)

__all__ = ["traces_app"]

traces_app = typer.Typer(
    help="Search, inspect, export and prune traces (one per run).", no_args_is_help=True
)


def _database(url: str | None) -> Database:
    db = Database(Settings.load(database_url=url).database_url)
    db.upgrade()
    return db


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _duration(ms: float | None) -> str:
    if ms is None:
        return "running"
    return f"{ms / 1000:.2f}s" if ms >= 1000 else f"{ms:.0f}ms"


def _seconds(text: str | None, what: str) -> float | None:
    return None if text is None else parse_duration(text, what=what)


def _rows(found: list[TraceSummary]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for s in found:
        state = status_text(s.status)
        if s.error_type:
            state.append(f" {s.error_type}", style="dim")
        rows.append(
            [
                s.run_id,
                s.agent,
                state,
                f"${s.cost:.4f}",
                f"{s.input_tokens}/{s.output_tokens}",
                _duration(s.duration_ms),
                _when(s.created_at),
            ]
        )
    return rows


@traces_app.command("list")
def list_traces(
    since: Annotated[
        str | None, typer.Option(help="Only runs started after this: 7d, 12h, or ISO 8601.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only runs started before this: 1d, or ISO 8601.")
    ] = None,
    agent: Annotated[str | None, typer.Option(help="Only this agent's runs.")] = None,
    capability: Annotated[str | None, typer.Option(help="Only runs of this capability.")] = None,
    user: Annotated[str | None, typer.Option(help="Only runs for this user.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's runs.")] = None,
    tool: Annotated[str | None, typer.Option(help="Only runs that called this tool.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Only these statuses, comma-separated: failed,escalated.")
    ] = None,
    error_type: Annotated[
        str | None,
        typer.Option(help="Only runs with this error class (run, escalation or any span)."),
    ] = None,
    min_cost: Annotated[float | None, typer.Option(help="Cost at least this many dollars.")] = None,
    max_cost: Annotated[float | None, typer.Option(help="Cost at most this many dollars.")] = None,
    cost_bucket: Annotated[
        str | None, typer.Option(help=f"A named cost bucket: {', '.join(COST_BUCKETS)}.")
    ] = None,
    min_duration: Annotated[
        str | None, typer.Option(help="Latency at least this long: 500ms, 2s, 1m.")
    ] = None,
    max_duration: Annotated[str | None, typer.Option(help="Latency at most this long.")] = None,
    sort: Annotated[
        str, typer.Option(help="Order by time, cost or latency (largest first).")
    ] = "time",
    ascending: Annotated[bool, typer.Option("--asc", help="Smallest first.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many first.")] = 0,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Search traces by time, agent, capability, user, tenant, tool, status, error, cost, latency.

    Sort by time, cost or latency.

    The five most expensive failures of the last week:
    earned traces list --since 7d --status failed,escalated --sort cost --limit 5
    """
    now = time.time()
    query = TraceQuery(
        since=None if since is None else parse_time(since, now=now, what="--since"),
        until=None if until is None else parse_time(until, now=now, what="--until"),
        agent=agent,
        capability=capability,
        user=user,
        tenant=tenant,
        tool=tool,
        status=_split(status),
        error_type=_split(error_type),
        min_cost=min_cost,
        max_cost=max_cost,
        cost_bucket=cost_bucket,
        min_duration=_seconds(min_duration, "--min-duration"),
        max_duration=_seconds(max_duration, "--max-duration"),
        sort=_sort_key(sort),
        ascending=ascending,
        limit=limit,
        offset=offset,
    )
    with _database(database) as db:
        found = TraceStore(db).search(query)
    if json_:
        print_json([s.to_dict() for s in found])
        return
    columns = ["trace", "agent", "status", "cost", "tokens", "latency", "started (UTC)"]
    console().print(table(None, columns, _rows(found)))


def _sort_key(value: str) -> SortKey:
    if value not in ("time", "cost", "latency"):
        raise UserError(
            f"cannot sort traces by {value!r}; use --sort time, --sort cost or --sort latency",
            sort=value,
        )
    return value  # type: ignore[return-value]


@traces_app.command("show")
def show_trace(
    run_id: Annotated[str, typer.Argument(help="The run id (the trace id).")],
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Show one trace as a tree of its spans.

    Each span's kind, status and duration; tokens and cost of model calls; the policy
    decision and the fields returned and removed of tool calls; guard hits highlighted.
    --json gives the nested tree.
    """
    from earned.tracing._render import render_trace

    with _database(database) as db:
        trace = TraceStore(db).get(run_id)
    if json_:
        print_json(trace.to_dict())
        return
    console().print(render_trace(trace))


def _redacted_document(trace_id: str, document: dict[str, Any]) -> dict[str, Any]:
    try:
        from earned.tracing import default_redactor

        redactor = default_redactor()
    except UserError:
        return document
    redacted: dict[str, Any] = redactor.scope(trace_id).value(document)
    return redacted


@traces_app.command("export")
def export_trace(
    run_id: Annotated[str, typer.Argument(help="The run id (the trace id).")],
    format_: Annotated[
        str, typer.Option("--format", help="json (the trace document) or otlp (OTLP/JSON).")
    ] = "json",
    out: Annotated[
        Path | None, typer.Option(help="Write to this file instead of standard output.")
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(help="Send the trace over OTLP/HTTP to this collector instead (otlp)."),
    ] = None,
    include_content: Annotated[
        bool,
        typer.Option(help="Put inputs, outputs and tool arguments in OTLP spans (redacted)."),
    ] = False,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Export one trace as JSON (the trace document) or OTLP (GenAI conventions).

    JSON is the trace document: workflow, versions, steps, decisions, cost. OTLP is its
    spans mapped to the OpenTelemetry GenAI conventions, as OTLP/JSON; with --endpoint
    they are sent to a collector instead (needs earned[otel]).
    """
    fmt = _format(format_)
    with _database(database) as db:
        trace = TraceStore(db).get(run_id)
    if endpoint is not None:
        from earned.tracing import OTLPExporter

        with OTLPExporter(endpoint, include_content=include_content) as exporter:
            count = exporter.export(trace)
        report = {"run_id": run_id, "endpoint": exporter.endpoint, "spans": count}
        _report(report, json_, f"sent {count} spans of {run_id} to {exporter.endpoint}")
        return
    if fmt == "json":
        document = _redacted_document(trace.trace_id, trace.to_export())
    else:
        from earned.tracing import export_request, otlp_json, trace_spans
        from earned.tracing._otlp import make_resource

        spans = trace_spans(trace, include_content=include_content)
        document = otlp_json(export_request(spans, make_resource()))
    text = json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    _report({"run_id": run_id, "format": fmt, "out": str(out)}, json_, f"wrote {fmt} to {out}")


def _format(value: str) -> Literal["json", "otlp"]:
    if value not in ("json", "otlp"):
        raise UserError(
            f"unknown export format {value!r}; use --format json or --format otlp",
            format=value,
        )
    return value  # type: ignore[return-value]


def _report(data: dict[str, Any], as_json: bool, line: str) -> None:
    if as_json:
        print_json(data)
    else:
        console().print(line)


def _actor(given: str | None) -> str:
    if given:
        return given
    try:
        return os.environ.get("EARNED_ACTOR") or f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name (containers without passwd entries)
        return "cli:unknown"


@traces_app.command("prune")
def prune_traces(
    older_than: Annotated[
        str | None,
        typer.Option(help="Delete records older than this (30d); default: the retention policy."),
    ] = None,
    data_class: Annotated[
        str,
        typer.Option("--class", help=f"What to prune: {', '.join(DATA_CLASSES)} or all."),
    ] = "traces",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing.")
    ] = False,
    actor: Annotated[
        str | None, typer.Option(help="Who prunes, for the audit log (default: $EARNED_ACTOR).")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Delete records past their retention, in batches, and record it in the audit log.

    Traces are kept 30 days, approval records and the ledger 400 days, unless
    EARNED_RETENTION_* or the retention section of earned.yaml say otherwise.
    """
    classes: tuple[DataClass, ...] = DATA_CLASSES if data_class == "all" else (_class(data_class),)
    keep = _seconds(older_than, "--older-than")
    policy = RetentionPolicy.load()
    who = _actor(actor)
    with _database(database) as db:
        results = [
            prune(
                db, name, older_than=keep, policy=policy, actor=who, reason=reason, dry_run=dry_run
            )
            for name in classes
        ]
    done = [r for r in results if r is not None]
    kept = [name for name, r in zip(classes, results, strict=True) if r is None]
    if json_:
        print_json({"results": [r.to_dict() for r in done], "kept_forever": kept})
        return
    verb = "would delete" if dry_run else "deleted"
    rows = [
        [r.data_class, _when(r.cutoff), ", ".join(f"{t} {n}" for t, n in r.rows.items()), r.total]
        for r in done
    ]
    console().print(table(None, ["class", "cutoff (UTC)", f"{verb} (rows)", "total"], rows))
    for name in kept:
        console().print(f"{name}: kept forever (retention 'never'); nothing pruned")


def _class(value: str) -> DataClass:
    if value not in DATA_CLASSES:
        raise UserError(
            f"unknown data class {value!r}; use --class {', '.join(DATA_CLASSES)} or all",
            data_class=value,
        )
    return value  # type: ignore[return-value]
