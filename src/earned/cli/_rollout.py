"""`earned matrix`, `earned flags list|set|kill`, `earned rollout promote|rollback|check`."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from earned.cli._output import console, print_json
from earned.cli._render import table
from earned.config import Settings
from earned.errors import UserError
from earned.rollout import (
    AGENT_SCOPE,
    DEFAULT_FLAGS,
    CapabilityMatrix,
    Promotion,
    PromotionCheck,
    RolloutStore,
    StopMonitor,
    load_matrix,
    split_flag,
)
from earned.rollout._promote import eval_gate
from earned.stages import Stage
from earned.store import Database

__all__ = ["flags_app", "matrix_command", "rollout_app"]

flags_app = typer.Typer(
    help="Feature flags and kill switches: list, set, kill. A flip applies on the next call "
    "of every running run.",
    no_args_is_help=True,
)
rollout_app = typer.Typer(
    help="Move capabilities along the autonomy ladder: promote on evidence, roll back, "
    "check stop conditions.",
    no_args_is_help=True,
)

MatrixOption = Annotated[
    Path,
    typer.Option(
        "--matrix",
        envvar="EARNED_MATRIX",
        help="The capability matrix file (default: ./capabilities.yaml).",
    ),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(envvar="EARNED_DATABASE_URL", help="Database URL (default: ./.earned)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ActorOption = Annotated[
    str | None, typer.Option("--as", envvar="EARNED_USER", help="Who acts (default: $USER).")
]
ReasonOption = Annotated[str | None, typer.Option(help="Why, for the audit log.")]
_DEFAULT_MATRIX = Path("capabilities.yaml")


def _open(matrix_path: Path, database: str | None) -> tuple[CapabilityMatrix, Database]:
    if not matrix_path.exists():
        raise UserError(
            f"no capability matrix at {matrix_path}",
            fix="pass --matrix PATH (or set EARNED_MATRIX) to your capabilities.yaml",
            path=str(matrix_path),
        )
    matrix = load_matrix(matrix_path)
    db = Database(Settings.load(database_url=database).database_url)
    db.upgrade()
    return matrix, db


def _store(matrix: CapabilityMatrix, db: Database) -> RolloutStore:
    store = RolloutStore(db)
    store.ensure(matrix)
    return store


def _actor(actor: str | None) -> str:
    return actor or os.environ.get("USER") or getpass.getuser()


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts).isoformat(sep=" ", timespec="minutes")


def _stage_text(stage: str) -> Text:
    rank = Stage(stage).rank
    style = "red" if rank == 0 else "yellow" if rank <= 3 else "green"
    return Text(stage, style=style)


# -- matrix -------------------------------------------------------------------------------


def matrix_command(
    matrix: MatrixOption = _DEFAULT_MATRIX,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Print the capability matrix from live state (seed 000's table).

    One row per capability: owner, live stage and since when, the required eval and the
    verdict of its latest run against the frozen manifest, the permission level (risk and
    tools), the rollback action, the kill switch and the next review.
    """
    spec_matrix, db = _open(matrix, database)
    store = _store(spec_matrix, db)
    states = store.states()
    flags = {f.scope: f.enabled for f in store.flags() if f.name == "enabled"}
    rows: list[dict[str, Any]] = []
    for spec in spec_matrix.capabilities.values():
        state = states[spec.name]
        check = eval_gate(db, spec_matrix, spec) if spec.required_eval else None
        rows.append(
            {
                "capability": spec.name,
                "owner": spec.owner,
                "stage": state.stage.value,
                "stage_since": state.stage_since,
                "tripped": state.tripped,
                "required_eval": spec.required_eval,
                "eval": check.to_dict() if check else None,
                "permission": {"max_risk": spec.max_risk.value, "tools": list(spec.tools)},
                "rollback": spec.rollback,
                "enabled": flags.get(spec.name, True),
                "next_review": spec.next_review,
            }
        )
    if json_:
        print_json(
            {"matrix": spec_matrix.version, "owner": spec_matrix.owner, "capabilities": rows}
        )
        return
    out = console()
    grid = table(
        f"{spec_matrix.version} (owner {spec_matrix.owner})",
        ["capability", "owner", "status", "required eval", "permission", "rollback", "on"],
        [_matrix_row(r) for r in rows],
    )
    out.print(grid)


def _matrix_row(row: dict[str, Any]) -> list[Any]:
    status = _stage_text(row["stage"])
    status.append(f"\nsince {_when(row['stage_since'])}", style="dim")
    if row["tripped"]:
        status.append(f"\ntripped: {row['tripped']}", style="red")
    evaluation = _eval_cell(row["required_eval"], row["eval"])
    permission = f"{row['permission']['max_risk']}\n{', '.join(row['permission']['tools']) or '-'}"
    return [
        row["capability"],
        row["owner"],
        status,
        evaluation,
        permission,
        row["rollback"] or Text("none declared", style="red"),
        Text("on", style="green") if row["enabled"] else Text("KILLED", style="bold red"),
    ]


def _eval_cell(path: str | None, check: dict[str, Any] | None) -> Text:
    """`gates/x.yaml` and a one-line verdict: passed, failed, stale or no run yet."""
    if check is None or path is None:
        return Text("none declared", style="red")
    cell = Text(f"{Path(path).name}\n")
    runs = check["evidence"].get("runs") or {}
    if check["passed"]:
        cell.append(f"passed ({', '.join(sorted(runs))})", style="green")
    elif not runs:
        cell.append("no run yet", style="yellow")
    else:
        failed = [s for s, r in runs.items() if r["verdict"] != "passed"]
        words = f"failed: {', '.join(failed)}" if failed else "stale"
        cell.append(words, style="red" if failed else "yellow")
    return cell


# -- flags --------------------------------------------------------------------------------


@flags_app.command("list")
def list_flags(
    matrix: MatrixOption = _DEFAULT_MATRIX,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Every flag and kill switch with its value, owner and last change."""
    spec_matrix, db = _open(matrix, database)
    found = _store(spec_matrix, db).flags()
    if json_:
        print_json({"flags": [_flag_dict(f) for f in found]})
        return
    rows = [
        [
            f.name if f.scope == AGENT_SCOPE else f"{f.scope}/{f.name}",
            Text("on", style="green") if f.enabled else Text("OFF", style="bold red"),
            f.owner,
            _when(f.updated_at),
            f.updated_by,
            f.reason or "",
        ]
        for f in found
    ]
    console().print(table("flags", ["flag", "value", "owner", "changed", "by", "reason"], rows))


def _flag_dict(flag: Any) -> dict[str, Any]:
    data = flag.to_dict()
    data["flag"] = flag.name if flag.scope == AGENT_SCOPE else f"{flag.scope}/{flag.name}"
    return data


@flags_app.command("set")
def set_flag(
    name: Annotated[
        str, typer.Argument(help="A flag (`write_tools_enabled`) or `CAPABILITY/enabled`.")
    ],
    value: Annotated[str, typer.Argument(help="on or off.")],
    reason: ReasonOption = None,
    actor: ActorOption = None,
    matrix: MatrixOption = _DEFAULT_MATRIX,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Turn a flag on or off; audited, applies on the next call of every running run."""
    if value.lower() not in ("on", "off", "true", "false"):
        raise UserError(f"a flag is `on` or `off`, not {value!r}", value=value)
    enabled = value.lower() in ("on", "true")
    _flip(name, enabled, reason or f"set {value} by hand", actor, matrix, database, json_)


@flags_app.command("kill")
def kill(
    target: Annotated[
        str,
        typer.Argument(
            help="`agent` (the whole workflow), a capability name, or a flag name "
            f"({', '.join(DEFAULT_FLAGS)})."
        ),
    ] = "agent",
    reason: ReasonOption = None,
    actor: ActorOption = None,
    matrix: MatrixOption = _DEFAULT_MATRIX,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Switch something off now: the agent, one capability, or one flag.

    Running runs stop at their next model call (they escalate to a human); every tool
    call of a killed capability is denied from the next call on.
    """
    _flip(target, False, reason or "kill switch", actor, matrix, database, json_)


def _flip(
    name: str,
    enabled: bool,
    reason: str,
    actor: str | None,
    matrix_path: Path,
    database: str | None,
    as_json: bool,
) -> None:
    spec_matrix, db = _open(matrix_path, database)
    scope, flag = split_flag(name, spec_matrix)
    changed = _store(spec_matrix, db).set_flag(
        scope, flag, enabled, actor=_actor(actor), reason=reason
    )
    if as_json:
        print_json({"flag": _flag_dict(changed)})
        return
    word = Text("on", style="green") if enabled else Text("OFF", style="bold red")
    out = console()
    out.print(Text.assemble(f"{_flag_dict(changed)['flag']} is now ", word, f" ({reason})"))


# -- rollout ------------------------------------------------------------------------------


def _stage_option(value: str | None) -> Stage | None:
    if value is None:
        return None
    try:
        return Stage(value)
    except ValueError:
        raise UserError(
            f"no stage {value!r}; stages: {', '.join(s.value for s in Stage)}", stage=value
        ) from None


@rollout_app.command("promote")
def promote(
    capability: Annotated[str, typer.Argument(help="The capability to move up.")],
    to: Annotated[
        str | None, typer.Option(help="The stage to move to (default: the next).")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Only judge the gates.")] = False,
    reason: ReasonOption = None,
    actor: ActorOption = None,
    matrix: MatrixOption = _DEFAULT_MATRIX,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Move a capability one stage up (or `--to`) when every gate passes.

    Gates: seed 000's rule (required eval and rollback action to leave shadow), the latest
    eval against the frozen manifest, the stop conditions at the current stage, the time
    at the stage, seed 001's approval history for write capabilities (into
    conditional_auto by default), and the kill switch. Exit 1 when a gate fails: each
    unmet gate is explained.
    """
    spec_matrix, db = _open(matrix, database)
    promotion = Promotion(db, spec_matrix, _store(spec_matrix, db))
    target = _stage_option(to)
    if dry_run:
        check, state = promotion.check(capability, to=target), None
    else:
        check, state = promotion.promote(capability, actor=_actor(actor), to=target, reason=reason)
    if json_:
        print_json({**check.to_dict(), "promoted": state is not None, "dry_run": dry_run})
    else:
        _print_check(check, promoted=state is not None, dry_run=dry_run)
    if not check.allowed:
        raise typer.Exit(1)


def _print_check(check: PromotionCheck, *, promoted: bool, dry_run: bool) -> None:
    out = console()
    rows = [
        [
            g.gate,
            Text("pass", style="green") if g.passed else Text("FAIL", style="bold red"),
            g.detail,
        ]
        for g in check.gates
    ]
    title = f"{check.capability}: {check.current.value} -> {check.target.value}"
    out.print(table(title, ["gate", "verdict", "evidence"], rows))
    if promoted:
        out.print(Text(f"promoted {check.capability} to {check.target.value}", style="green"))
    elif check.allowed and dry_run:
        out.print("every gate passes; run again without --dry-run to promote")
    else:
        out.print(Text(f"not promoted: {len(check.unmet)} gate(s) unmet", style="bold red"))


@rollout_app.command("rollback")
def rollback(
    capability: Annotated[str, typer.Argument(help="The capability to move down.")],
    to: Annotated[
        str | None, typer.Option(help="The stage to move to (default: its fallback stage).")
    ] = None,
    reason: ReasonOption = None,
    actor: ActorOption = None,
    matrix: MatrixOption = _DEFAULT_MATRIX,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Demote a capability by hand, now, in one command (no gates); audited."""
    spec_matrix, db = _open(matrix, database)
    promotion = Promotion(db, spec_matrix, _store(spec_matrix, db))
    before = promotion.store.state(capability)
    state = promotion.rollback(capability, actor=_actor(actor), to=_stage_option(to), reason=reason)
    if json_:
        print_json(
            {
                "capability": capability,
                "from": before.stage.value if before else None,
                "state": state.to_dict(),
            }
        )
        return
    spec = spec_matrix.get(capability)
    out = console()
    out.print(Text.assemble(f"{capability} rolled back to ", _stage_text(state.stage.value)))
    if spec.rollback:
        out.print(f"rollback action: {spec.rollback}")


@rollout_app.command("check")
def check(
    demote: Annotated[
        bool, typer.Option(help="Demote what trips (--no-demote only measures).")
    ] = True,
    actor: ActorOption = None,
    matrix: MatrixOption = _DEFAULT_MATRIX,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Measure every stop condition now; tripped capabilities drop to their fallback stage.

    Engines with a matrix run this every minute; run it by hand after an incident or in
    CI. Exit 1 when a condition tripped.
    """
    spec_matrix, db = _open(matrix, database)
    monitor = StopMonitor(db, spec_matrix, _store(spec_matrix, db))
    report = monitor.check(actor=_actor(actor) if actor else "earned:monitor", demote=demote)
    if json_:
        print_json(report.to_dict())
    else:
        rows = [
            [
                r.capability,
                r.condition.id,
                Text("TRIPPED", style="bold red") if r.tripped else Text("ok", style="green"),
                r.message,
            ]
            for r in report.results
        ]
        out = console()
        out.print(table("stop conditions", ["capability", "condition", "verdict", "measure"], rows))
        for d in report.demotions:
            out.print(
                Text(
                    f"demoted {d.capability}: {d.from_stage.value} -> {d.to_stage.value} "
                    f"({d.condition})",
                    style="bold red",
                )
            )
    if any(r.tripped for r in report.results):
        raise typer.Exit(1)
