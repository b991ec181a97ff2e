"""`earned tokens create|list|revoke`: API tokens for `earned serve` (stored hashed)."""

from __future__ import annotations

import getpass
import os
from typing import Annotated, Any

import typer

from earned.cli._output import (
    DatabaseOption,
    JsonOption,
    console,
    err_console,
    local_time,
    print_json,
)
from earned.cli._render import status_text, table
from earned.config import Settings
from earned.errors import UserError
from earned.store import Database

__all__ = ["tokens_app"]

tokens_app = typer.Typer(
    help="Create, list and revoke API tokens (roles and tenant scope).", no_args_is_help=True
)


def _store(database: str | None) -> Any:
    from earned.server import TokenStore

    db = Database(Settings.load(database_url=database).database_url)
    db.upgrade()
    return TokenStore(db)


def _expiry(text: str) -> float | None:
    if text.strip().lower() == "never":
        return None
    from earned.metrics import parse_window

    try:
        return parse_window(text)
    except UserError:
        raise UserError(
            f"cannot read --expires {text!r}",
            expires=text,
            fix="write a duration such as 30d, 90d or 12h (at most 366d), or never",
        ) from None


@tokens_app.command("create")
def create_token(
    role: Annotated[
        str, typer.Option(help="admin, owner, reviewer, operator or viewer.", show_default=False)
    ],
    tenant: Annotated[str | None, typer.Option(help="The tenant the token is scoped to.")] = None,
    all_tenants: Annotated[
        bool, typer.Option("--all-tenants", help="See every tenant (admin and viewer only).")
    ] = False,
    name: Annotated[
        str | None, typer.Option(help="Who or what uses it (default: ROLE@TENANT).")
    ] = None,
    expires: Annotated[str, typer.Option(help="Lifetime, e.g. 30d or 90d, or never.")] = "90d",
    capability: Annotated[
        list[str] | None,
        typer.Option("--capability", help="Owner tokens: a capability it manages (repeat)."),
    ] = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Create a token and print its secret, once: only its SHA-256 hash is stored."""
    if all_tenants == (tenant is not None):
        raise UserError(
            "say which tenant the token sees",
            fix="pass --tenant T, or --all-tenants (admin and viewer tokens only)",
        )
    issued = _store(database).create(
        name=name or f"{role}@{tenant or 'all'}",
        role=role,
        tenant=tenant,
        expires_in=_expiry(expires),
        capabilities=capability or None,
        created_by=os.environ.get("USER") or getpass.getuser(),
    )
    token = issued.token
    if json_:
        print_json({**token.to_dict(), "secret": issued.secret})
        return
    out = console()
    scope = token.tenant or "every tenant"
    out.print(
        f"created {token.token_id} ({token.role}, {scope}), expires {local_time(token.expires_at)}"
    )
    out.print(issued.secret, markup=False, highlight=False, soft_wrap=True)
    err_console().print("store it now: the secret is not shown again", style="yellow")


@tokens_app.command("list")
def list_tokens(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's tokens.")] = None,
    active: Annotated[bool, typer.Option("--active", help="Only usable tokens.")] = False,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """List tokens, newest first (never their secrets)."""
    import time

    store = _store(database)
    found = store.list(tenant=tenant, active_only=active)
    now = time.time()
    if json_:
        print_json([t.to_dict(now=now) for t in found])
        return
    rows = [
        [
            t.token_id,
            t.name,
            t.role,
            t.tenant or "(all)",
            status_text(t.status(now)),
            t.prefix + "...",
            local_time(t.expires_at),
            local_time(t.last_used_at),
        ]
        for t in found
    ]
    columns = ["token", "name", "role", "tenant", "status", "starts", "expires", "last used"]
    console().print(table(f"{len(found)} token(s)", columns, rows))


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="The token's id (tok_...).")],
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Revoke a token now; requests with it are refused from then on."""
    import time

    token = _store(database).revoke(token_id, by=os.environ.get("USER") or getpass.getuser())
    if json_:
        print_json(token.to_dict(now=time.time()))
        return
    console().print(f"revoked {token.token_id} ({token.name})")
