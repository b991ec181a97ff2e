"""`earned review list|export|sample|fatigue`: the review queue from the command line."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from earned.cli._output import DatabaseOption, JsonOption, console, err_console, print_json
from earned.cli._render import table
from earned.config import Settings
from earned.store import Database

__all__ = ["review_app"]

review_app = typer.Typer(
    help="The review queue: list it, export routed examples, draw audit samples.",
    no_args_is_help=True,
)

TenantOption = Annotated[str | None, typer.Option(help="Only this tenant's.")]


def _database(database: str | None) -> Database:
    db = Database(Settings.load(database_url=database).database_url)
    db.upgrade()
    return db


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h" if seconds < 2 * 86400 else f"{seconds / 86400:.1f}d"


@review_app.command("list")
def list_queue(
    tenant: TenantOption = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="approval, draft or audit (repeat).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Pending items in the order to work them: overdue first, then by risk, then by age."""
    from earned.review import ReviewQueue

    items = ReviewQueue(_database(database)).list(tenant=tenant, kinds=kind or (), limit=limit)
    now = time.time()
    if json_:
        print_json([i.to_dict(now=now) for i in items])
        return
    rows = [
        [
            i.item_id,
            i.kind,
            i.risk + (" (overdue)" if i.overdue else ""),
            i.context.get("action") or i.agent,
            i.capability,
            i.stage,
            i.tenant,
            _age(now - i.created_at),
        ]
        for i in items
    ]
    columns = ["item", "kind", "risk", "what", "capability", "stage", "tenant", "waiting"]
    console().print(table(f"{len(items)} item(s) to review", columns, rows))


@review_app.command("export")
def export(
    reason: Annotated[
        str | None,
        typer.Option(help="A reason code (wrong_policy, hallucination, ...) or approved."),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(help="Or a dataset: regression, adversarial, policy_gaps, ..."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write to this file (default: standard output).")
    ] = None,
    tenant: TenantOption = None,
    since: Annotated[
        str | None, typer.Option(help="Only reviews of the last DURATION, e.g. 30d.")
    ] = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Write the reviewed examples of one reason (or dataset) as a JSONL eval dataset.

    Each line is a scenario `earned eval` reads: the run's input, tags, and in metadata the
    original, the edit, the final output, the reason code and the note.
    """
    from earned.metrics import parse_window
    from earned.review import ReviewStore, export_cases, write_jsonl

    start = None if since is None else time.time() - parse_window(since)
    store = ReviewStore(_database(database))
    cases = export_cases(store, reason=reason, dataset=dataset, tenant=tenant, since=start)
    count = write_jsonl(cases, out if out is not None else sys.stdout)
    report: dict[str, Any] = {"reason": reason, "dataset": dataset, "cases": count}
    if out is None:
        return
    report["out"] = str(out)
    if json_:
        print_json(report)
    else:
        err_console().print(f"wrote {count} case(s) to {out}")


@review_app.command("sample")
def sample(
    week: Annotated[
        str | None, typer.Option(help="ISO week, e.g. 2026-W07 (default: the last complete).")
    ] = None,
    size: Annotated[int, typer.Option(min=1, max=1000, help="Random runs to draw.")] = 40,
    seed: Annotated[int | None, typer.Option(help="Seed of the draw (default: random).")] = None,
    tenant: TenantOption = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Put a week's audit sample in the queue: random autonomous runs plus all flagged ones.

    Run it weekly (cron); sampling a week again adds newly flagged runs but never redraws.
    """
    from earned.review import AuditSampler

    drawn = AuditSampler(_database(database)).sample(week=week, size=size, seed=seed, tenant=tenant)
    if json_:
        print_json(drawn.to_dict())
        return
    start = dt.datetime.fromtimestamp(drawn.since, dt.UTC).date()
    console().print(
        f"{drawn.week} (from {start}): {len(drawn.sampled)} of {drawn.candidates} autonomous "
        f"run(s) sampled, {len(drawn.flagged)} flagged; {len(drawn.added)} new item(s) "
        f"(seed {drawn.seed})"
    )


@review_app.command("fatigue")
def fatigue(
    window: Annotated[str, typer.Option(help="Window compared with the one before.")] = "7d",
    tenant: TenantOption = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Reviewer fatigue: approval rates near 100% and falling time-to-decision."""
    from earned.review import reviewer_fatigue

    report = reviewer_fatigue(_database(database), window=window, tenant=tenant)
    if json_:
        print_json(report.to_dict())
        return

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}s"

    rows = [
        [
            r.reviewer,
            r.decisions,
            "-" if r.approval_rate is None else f"{r.approval_rate:.0%}",
            seconds(r.median_seconds),
            seconds(r.previous_median_seconds),
            ", ".join(r.flags) or "-",
        ]
        for r in report.reviewers
    ]
    columns = ["reviewer", "decisions", "approved", "per decision", "before", "flags"]
    console().print(table(f"reviewers over the last {window}", columns, rows))
