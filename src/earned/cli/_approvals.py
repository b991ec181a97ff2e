"""`earned approvals list|show|approve|reject|stats` and `earned ledger list`."""

from __future__ import annotations

import getpass
import json
import os
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from earned.approvals import ApprovalRequest, Approvals, Ledger
from earned.cli._output import DatabaseOption, JsonOption, console, local_time, print_json
from earned.cli._render import status_text, table
from earned.config import Settings
from earned.errors import UserError
from earned.store import Database

__all__ = ["approvals_app", "ledger_app"]

approvals_app = typer.Typer(help="Review and decide approval requests.", no_args_is_help=True)
ledger_app = typer.Typer(
    help="Inspect the idempotency ledger of side effects.", no_args_is_help=True
)

ActorOption = Annotated[
    str | None, typer.Option("--as", envvar="EARNED_USER", help="Who decides (default: $USER).")
]
RoleOption = Annotated[
    str, typer.Option(envvar="EARNED_ROLE", help="The decider's role (policy names who may).")
]
TenantOption = Annotated[
    str | None, typer.Option(envvar="EARNED_TENANT", help="The decider's tenant, if scoped.")
]


def _database(database: str | None) -> Database:
    url = Settings.load(database_url=database).database_url
    db = Database(url)
    db.upgrade()
    return db


def _api(database: str | None) -> Approvals:
    from earned.runtime._durable import DBOSNotifier

    db = _database(database)
    return Approvals(db, notifier=DBOSNotifier(db.url))


def _actor(actor: str | None) -> str:
    return actor or os.environ.get("USER") or getpass.getuser()


@approvals_app.command("list")
def list_approvals(
    status: Annotated[
        str, typer.Option(help="pending, approved, rejected, expired, ...")
    ] = "pending",
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's.")] = None,
    tool: Annotated[str | None, typer.Option(help="Only calls of this tool.")] = None,
    capability: Annotated[str | None, typer.Option(help="Only this capability's.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """List approval requests, oldest first (pending ones by default)."""
    found = _api(database).list(
        status=status, tenant=tenant, tool=tool, capability=capability, limit=limit
    )
    if json_:
        print_json([a.to_dict() for a in found])
        return
    rows = [
        [
            a.approval_id,
            status_text(a.status),
            a.summary,
            a.rule_id,
            ", ".join(a.approvers),
            a.tenant,
            local_time(a.created_at),
            local_time(a.expires_at),
        ]
        for a in found
    ]
    columns = ["approval", "status", "action", "rule", "approvers", "tenant", "asked", "expires"]
    console().print(table(f"{len(found)} {status} approval(s)", columns, rows))


def _render(approval: ApprovalRequest, history: list[Any]) -> Group:
    args = json.dumps(approval.arguments, indent=2, sort_keys=True)
    lines: list[Any] = [
        Text.assemble(
            ("approval ", "bold"),
            (approval.approval_id, "bold"),
            "  ",
            status_text(approval.status),
        ),
        Text(f"intended action: {approval.summary}", style="bold"),
        Text(f"tool {approval.tool} ({approval.risk})  targets {approval.targets or '-'}"),
        Text(f"agent's reason: {approval.reason or '-'}"),
        Text(
            f"asked by policy rule {approval.rule_id}: {approval.rule_reason or '-'} "
            f"({approval.policy_version})"
        ),
        Text(
            f"run {approval.run_id} for {approval.requester or '-'} "
            f"(tenant {approval.tenant or '-'})"
            f"  capability {approval.capability or '-'} at stage {approval.stage or '-'}"
        ),
        Text(
            f"who may decide: {', '.join(approval.approvers)}   "
            f"expires {local_time(approval.expires_at)}"
        ),
        Panel(args, title="arguments", title_align="left"),
    ]
    context = approval.context or {}
    tried = ", ".join(f"{t.get('tool')} ({t.get('status')})" for t in context.get("tried", []))
    lines.append(Text(f"what the run did: {tried or 'nothing yet'}"))
    for item in context.get("gathered", []):
        lines.append(Text(f"gathered from {item.get('tool')}: {item.get('result')}", style="dim"))
    if approval.decision:
        lines.append(
            Text(
                f"decision: {approval.decision} by {approval.decided_by} "
                f"({approval.decided_role}) {local_time(approval.decided_at)}: "
                f"{approval.decision_reason or ''}"
            )
        )
    lines.append(
        table(
            "history",
            ["when", "event", "who", "details"],
            (
                [local_time(e.at), e.kind, e.actor, json.dumps(e.details, sort_keys=True)]
                for e in history
            ),
        )
    )
    return Group(*lines)


@approvals_app.command("show")
def show_approval(
    approval_id: Annotated[str, typer.Argument(help="The approval id (apr_...).")],
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Show everything a reviewer needs to decide, and the approval's history."""
    api = _api(database)
    approval = api.get(approval_id)
    history = api.history(approval_id)
    if json_:
        print_json({**approval.to_dict(), "history": [e.__dict__ for e in history]})
        return
    console().print(_render(approval, history))


def _parse_args(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"--args is not valid JSON ({exc.msg}); pass an object like '{{\"amount\": 20}}'",
            args=raw[:200],
        ) from None
    if not isinstance(value, dict):
        raise UserError("--args must be a JSON object of the tool's arguments", args=raw[:200])
    return value


@approvals_app.command("approve")
def approve(
    approval_id: Annotated[str, typer.Argument(help="The approval id (apr_...).")],
    actor: ActorOption = None,
    role: RoleOption = "reviewer",
    tenant: TenantOption = None,
    args: Annotated[
        str | None, typer.Option("--args", help="Edited arguments as JSON (a new digest).")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why (required with --args).")] = None,
    digest: Annotated[
        str | None, typer.Option(help="The argument digest you reviewed (refused if changed).")
    ] = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Approve a call as requested, or with edited arguments; the run goes on."""
    decided = _api(database).approve(
        approval_id,
        actor=_actor(actor),
        role=role,
        tenant=tenant,
        arguments=_parse_args(args),
        reason=reason,
        expected_digest=digest,
    )
    _report(decided, json_)


@approvals_app.command("reject")
def reject(
    approval_id: Annotated[str, typer.Argument(help="The approval id (apr_...).")],
    reason: Annotated[str, typer.Option(help="Why the call must not run (required).")],
    actor: ActorOption = None,
    role: RoleOption = "reviewer",
    tenant: TenantOption = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Reject a call with a reason; the run is told and goes on without it."""
    decided = _api(database).reject(
        approval_id, actor=_actor(actor), role=role, tenant=tenant, reason=reason
    )
    _report(decided, json_)


def _report(decided: ApprovalRequest, json_: bool) -> None:
    if json_:
        print_json(decided.to_dict())
        return
    console().print(
        Text.assemble(
            (decided.approval_id, "bold"),
            " ",
            status_text(decided.status),
            f" by {decided.decided_by} ({decided.decided_role}): {decided.summary}",
        )
    )


@approvals_app.command("stats")
def stats(
    tool: Annotated[str | None, typer.Option(help="Only this tool's approvals.")] = None,
    capability: Annotated[str | None, typer.Option(help="Only this capability's.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's.")] = None,
    days: Annotated[float | None, typer.Option(min=0, help="Only the last N days.")] = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Decision history: counts, approval rate, last rejection (what promotion looks at)."""
    import time

    since = time.time() - days * 86400 if days is not None else None
    result = _api(database).stats(tool=tool, capability=capability, tenant=tenant, since=since)
    if json_:
        print_json(result.to_dict())
        return
    rate = "-" if result.approval_rate is None else f"{result.approval_rate:.1%}"
    console().print(
        table(
            "approval history",
            [
                "decisions",
                "approved",
                "rejected",
                "edited",
                "expired",
                "approval rate",
                "last rejection",
            ],
            [
                [
                    result.decisions,
                    result.approved,
                    result.rejected,
                    result.edited,
                    result.expired,
                    rate,
                    local_time(result.last_rejection_at),
                ]
            ],
        )
    )


@ledger_app.command("list")
def list_ledger(
    state: Annotated[
        str | None, typer.Option(help="intended, committed, failed, unknown, reconciled, escalated")
    ] = None,
    run: Annotated[str | None, typer.Option(help="Only this run's calls.")] = None,
    tool: Annotated[str | None, typer.Option(help="Only this tool's calls.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """List side-effecting calls with their ledger state, newest first."""
    entries = Ledger(_database(database)).list(state=state, run_id=run, tool=tool, limit=limit)
    if json_:
        print_json([e.to_dict() for e in entries])
        return
    rows = [
        [
            e.idempotency_key,
            e.tool,
            status_text(e.state),
            e.run_id,
            e.attempts,
            (e.error or {}).get("message", "-"),
            local_time(e.updated_at),
        ]
        for e in entries
    ]
    columns = ["idempotency key", "tool", "state", "run", "attempts", "error", "updated"]
    console().print(table(f"{len(entries)} ledger entries", columns, rows))
