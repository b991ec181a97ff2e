"""`earned versions list|show|diff|record|pins|pin|canary|promote|rollback|history|compare`."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text

from earned.cli._output import DatabaseOption, JsonOption, console, local_time, print_json
from earned.cli._render import table
from earned.config import Settings
from earned.errors import UserError
from earned.rollout import Pin, Version, VersionComparison, VersionStore, compare_versions
from earned.rollout._compare import METRICS
from earned.rollout._versions import check_kind, unified_diff
from earned.store import Database

__all__ = ["versions_app"]

versions_app = typer.Typer(
    help="Versions of prompts, models, tool sets, policies and matrices; the pins each "
    "capability runs, canaries beside them, promotion and rollback. A change applies to "
    "the next run that starts, in every worker, without a deploy.",
    no_args_is_help=True,
)

ActorOption = Annotated[
    str | None, typer.Option("--as", envvar="EARNED_USER", help="Who acts (default: $USER).")
]
ReasonOption = Annotated[str | None, typer.Option(help="Why, for the audit log.")]
KindOption = Annotated[
    str | None, typer.Option(help="Only versions of this kind (prompt, model, tools, ...).")
]
NameOption = Annotated[str | None, typer.Option(help="Only versions of this name (an agent).")]
Capability = Annotated[str, typer.Argument(help="The capability (as the matrix names it).")]
Kind = Annotated[str, typer.Argument(help="prompt, model, tools or policy.")]
Ref = Annotated[str, typer.Argument(help="A version digest or a prefix of 4+ hex digits.")]


def _store(database: str | None) -> VersionStore:
    db = Database(Settings.load(database_url=database).database_url)
    db.upgrade()
    return VersionStore(db)


def _actor(actor: str | None) -> str:
    return actor or os.environ.get("USER") or getpass.getuser()


def _pinned_by(pins: list[Pin]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for p in pins:
        found.setdefault(p.digest, []).append(f"{p.capability}")
        if p.canary_digest:
            found.setdefault(p.canary_digest, []).append(
                f"{p.capability} canary {p.canary_percent:g}%"
            )
    return found


@versions_app.command("list")
def list_versions(
    kind: KindOption = None,
    name: NameOption = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Include agent records (what each agent uses).")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """List versions, newest first, with the capabilities that pin them."""
    store = _store(database)
    found = store.list(kind=kind, name=name, limit=limit)
    if kind is None and not all_:
        found = [v for v in found if v.kind != "agent"]
    used = _pinned_by(store.pins())
    if json_:
        print_json(
            [{**v.to_dict(content=False), "pinned_by": used.get(v.digest, [])} for v in found]
        )
        return
    rows = [
        [
            v.kind,
            v.name,
            v.short,
            used.get(v.digest),
            v.author,
            v.message,
            local_time(v.created_at),
            v.summary,
        ]
        for v in found
    ]
    columns = ["kind", "name", "digest", "pinned by", "author", "message", "recorded", "content"]
    console().print(table(f"{len(found)} version(s)", columns, rows))


@versions_app.command("show")
def show_version(
    ref: Ref,
    kind: KindOption = None,
    name: NameOption = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Show one version: who recorded it, when, why, its content, who pins it."""
    store = _store(database)
    version = store.get(ref, kind=kind, name=name)
    used = _pinned_by(store.pins()).get(version.digest, [])
    if json_:
        print_json({**version.to_dict(), "pinned_by": used})
        return
    header = Text.assemble(
        (version.ref, "bold"),
        f"  {version.kind} of {version.name}, recorded {local_time(version.created_at)} by "
        f"{version.author}: {version.message or '-'}",
    )
    pinned = Text(f"pinned by: {', '.join(used) or '-'}")
    console().print(Group(header, pinned, Text(f"sha256:{version.digest}", style="dim"), ""))
    console().print(version.content, markup=False, highlight=False)


def _previous(store: VersionStore, version: Version) -> Version:
    older = [
        v
        for v in store.list(kind=version.kind, name=version.name, limit=1000)
        if v.created_at < version.created_at
    ]
    if not older:
        raise UserError(
            f"{version.ref} is the first {version.kind} of {version.name}: there is nothing "
            "before it to diff against; give a second version",
            version=version.ref,
        )
    return older[0]


@versions_app.command("diff")
def diff_versions(
    a: Ref,
    b: Annotated[
        str | None, typer.Argument(help="The other version (default: the one recorded before A).")
    ] = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Show a unified diff of two versions' contents (tool sets as sorted JSON)."""
    store = _store(database)
    second = store.get(a)
    first = _previous(store, second) if b is None else store.get(b, kind=second.kind)
    if b is not None:
        first, second = second, first
    text = unified_diff(first, second)
    if json_:
        print_json(
            {"a": first.to_dict(content=False), "b": second.to_dict(content=False), "diff": text}
        )
        return
    if not text:
        console().print(f"{first.ref} and {second.ref} have the same content")
        return
    console().print(Syntax(text, "diff", theme="ansi_dark", background_color="default"))


@versions_app.command("record")
def record_version(
    kind: Annotated[str, typer.Argument(help="prompt, model, tools, policy or matrix.")],
    name: Annotated[
        str, typer.Argument(help="Whose version: the agent's name (matrix: its name).")
    ],
    file: Annotated[
        Path | None, typer.Option("--file", help="Read the content from this file ('-': stdin).")
    ] = None,
    content: Annotated[
        str | None, typer.Option(help="The content itself (a model string).")
    ] = None,
    message: Annotated[str | None, typer.Option("--message", "-m", help="What changed.")] = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Record a version (a new prompt, a model string, a policy file); idempotent by content."""
    kind = check_kind(kind)
    if (file is None) == (content is None):
        raise UserError(
            "give the content with --file PATH (a prompt, a policy) or --content TEXT "
            "(a model string such as openai:gpt-4.1-mini), not both",
            fix="earned versions record prompt my_agent --file prompt.txt -m 'cite sections'",
        )
    if file is not None:
        text = sys.stdin.read() if str(file) == "-" else _read(file)
    else:
        text = content or ""
    version = _store(database).record(kind, name, text, author=_actor(actor), message=message)
    if json_:
        print_json(version.to_dict(content=False))
        return
    console().print(f"recorded {version.ref}")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}", path=str(path)) from None


_PIN_COLUMNS = ["capability", "kind", "name", "pinned", "canary", "changed by", "changed at"]


def _pin_rows(pins: list[Pin]) -> list[list[Any]]:
    return [
        [
            p.capability,
            p.kind,
            p.name,
            p.digest[:12],
            f"{p.canary_digest[:12]} at {p.canary_percent:g}% by {p.canary_by}"
            if p.canary_digest and p.canary_percent
            else None,
            p.updated_by,
            local_time(p.updated_at),
        ]
        for p in pins
    ]


def _print_pin(pin: Pin | None, what: str, json_: bool) -> None:
    if json_:
        print_json({"pin": None if pin is None else pin.to_dict(), "done": what})
        return
    console().print(what)
    if pin is not None:
        console().print(table(None, _PIN_COLUMNS, _pin_rows([pin])))


@versions_app.command("pins")
def list_pins(
    capability: Annotated[str | None, typer.Argument(help="Only this capability's.")] = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """List what each capability pins, and its canaries."""
    found = _store(database).pins(capability)
    if json_:
        print_json([p.to_dict() for p in found])
        return
    console().print(table(f"{len(found)} pin(s)", _PIN_COLUMNS, _pin_rows(found)))


@versions_app.command("pin")
def pin_version(
    capability: Capability,
    ref: Ref,
    kind: KindOption = None,
    name: NameOption = None,
    reason: ReasonOption = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Pin a version for a capability: its next runs use it (a canary on it is promoted)."""
    store = _store(database)
    version = store.get(ref, kind=kind, name=name)
    before = store.pin_of(capability, check_kind(version.kind, pinnable=True))
    pin = store.pin(capability, version.kind, version.digest, actor=_actor(actor), reason=reason)
    same = before is not None and before.digest == pin.digest
    what = f"{capability} {'already pins' if same else 'pins'} {version.ref}"
    _print_pin(pin, what, json_)


@versions_app.command("canary")
def canary_version(
    capability: Capability,
    ref: Ref,
    percent: Annotated[float, typer.Option(help="Share of runs served the canary (0-100].")],
    by: Annotated[
        str, typer.Option(help="What keeps it sticky: tenant, user, or a field of the input.")
    ] = "tenant",
    kind: KindOption = None,
    reason: ReasonOption = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Serve a version to a sticky share of a capability's runs, beside its pin."""
    store = _store(database)
    version = store.get(ref, kind=kind)
    pin = store.canary(
        capability, version.kind, version.digest, percent, actor=_actor(actor), reason=reason, by=by
    )
    what = f"{capability} serves {version.ref} to {percent:g}% of runs (sticky by {by})"
    _print_pin(pin, what, json_)


@versions_app.command("promote")
def promote_canary(
    capability: Capability,
    kind: Kind,
    reason: ReasonOption = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Pin the capability's canary for all its runs."""
    pin = _store(database).promote_canary(capability, kind, actor=_actor(actor), reason=reason)
    _print_pin(pin, f"{capability} pins its canary {pin.digest[:12]} for all runs", json_)


@versions_app.command("rollback")
def rollback_pin(
    capability: Capability,
    kind: Kind,
    reason: ReasonOption = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """End the canary if one runs, else go back to the previous pin (or unpin the first).

    The next run that starts, in every worker, uses the version rolled back to.
    """
    store = _store(database)
    before = store.pin_of(capability, kind)
    pin = store.rollback(capability, kind, actor=_actor(actor), reason=reason)
    if before is not None and before.canary_digest:
        what = f"{capability} ended its {kind} canary {before.canary_digest[:12]}"
    elif pin is None:
        what = f"{capability} no longer pins a {kind}: its runs use the agent's own"
    else:
        what = f"{capability} is back on {kind} {pin.digest[:12]}"
    _print_pin(pin, what, json_)


@versions_app.command("history")
def pin_history(
    capability: Capability,
    kind: Kind,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Every change of a capability's pin, from the audit log, oldest first."""
    entries = _store(database).history(capability, kind)
    if json_:
        print_json([e.to_dict() for e in entries])
        return

    def short(state: Any) -> str | None:
        if not state:
            return None
        canary = state.get("canary_digest")
        return state["digest"][:12] + (
            f" (+{canary[:12]} {state['canary_percent']:g}%)" if canary else ""
        )

    rows = [
        [
            local_time(e.at),
            e.action.removeprefix("versions."),
            e.actor,
            short(e.before),
            short(e.after),
            e.reason,
        ]
        for e in entries
    ]
    columns = ["when", "action", "actor", "before", "after", "reason"]
    console().print(table(f"{capability}/{kind}: {len(entries)} change(s)", columns, rows))


@versions_app.command("compare")
def compare_command(
    capability: Capability,
    window: Annotated[str, typer.Option(help="How far back: 1h, 24h, 7d, ...")] = "24h",
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Compare the pinned versions and the canary side by side, on the window's runs."""
    from earned.metrics import parse_window

    store = _store(database)
    report = compare_versions(store.db, capability, window=parse_window(window))
    if json_:
        print_json(report.to_dict())
        return
    _render_comparison(report, window)


def _format(metric: str, value: Any) -> str:
    if value is None:
        return "-"
    if metric.endswith("_rate"):
        return f"{value * 100:.1f}%"
    if metric == "cost_per_run":
        return f"${value:.4f}"
    if metric == "latency_p95":
        return f"{value:.2f}s"
    return str(value)


def _render_comparison(report: VersionComparison, window: str) -> None:
    out = console()
    if not report.pins:
        out.print(f"{report.capability} pins nothing: its runs use what their agents' code says")
    else:
        out.print(table(f"{report.capability}: pins", _PIN_COLUMNS, _pin_rows(report.pins)))
    if not report.arms:
        out.print(f"no runs of {report.capability} on pinned versions in the last {window}")
        return
    columns = ["metric", *(f"{a.arm}\n{a.pins}" for a in report.arms)]
    rows = [
        [label, *(_format(metric, getattr(a, metric)) for a in report.arms)]
        for metric, label in METRICS
    ]
    rows.append(["approvals decided", *(str(a.approvals) for a in report.arms)])
    out.print(table(f"{report.capability}, last {window}", columns, rows))
