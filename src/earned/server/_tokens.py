"""API tokens over HTTP (admin only), and `/v1/me`: who the caller's token says they are.

A tenant-scoped admin manages only its tenant's tokens and cannot create tokens for every
tenant. A created token's secret is in the response once, and never again.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from earned.server._auth import ALL_TENANT_ROLES, Identity, Role
from earned.server._context import ApiContext
from earned.server._deps import AdminId, Ctx, Reader
from earned.server._errors import BadRequest, Forbidden, NotFound
from earned.server._schemas import Body, IdPath, Name

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["tokens"])


class TokenRequest(Body):
    """A token to create: who it is for, its role, and its tenant (or every tenant)."""

    name: Name
    role: Role
    tenant: Name | None = Field(default=None, description="The tenant it is scoped to.")
    all_tenants: bool = Field(default=False, description=f"Only for {sorted(ALL_TENANT_ROLES)}.")
    expires_in_days: float | None = Field(
        default=90, gt=0, le=3660, description="null: never expires."
    )
    capabilities: list[Name] | None = Field(
        default=None, max_length=200, description="Owner tokens: the capabilities they manage."
    )


@router.get("/me", summary="The caller's token: name, role, tenant, scopes")
def me(caller: Reader) -> dict[str, Any]:
    """Who this token is."""
    return {
        "token_id": caller.token_id,
        "name": caller.name,
        "role": caller.role,
        "tenant": caller.tenant,
        "all_tenants": caller.all_tenants,
        "capabilities": caller.capabilities,
        "scopes": sorted(caller.scopes),
    }


def _visible_token(context: ApiContext, caller: Identity, token_id: str) -> None:
    token = context.tokens.get(token_id)
    if token is None or not caller.sees(token.tenant):
        raise NotFound(f"no API token {token_id!r}", fix="list them with GET /v1/tokens")


@router.get("/tokens", summary="API tokens (never their secrets)")
def list_tokens(caller: AdminId, context: Ctx) -> list[dict[str, Any]]:
    """Tokens of the admin's tenant (every token for an all-tenant admin), newest first."""
    now = context.clock()
    found = context.tokens.list()
    return [t.to_dict(now=now) for t in found if caller.sees(t.tenant)]


@router.post("/tokens", status_code=201, summary="Create an API token (its secret shown once)")
def create_token(body: TokenRequest, caller: AdminId, context: Ctx) -> dict[str, Any]:
    """The new token and its secret; store the secret now, it is not shown again."""
    if body.all_tenants == (body.tenant is not None):
        raise BadRequest(
            "give the token one tenant, or all_tenants: true",
            fix='send "tenant": "acme", or "all_tenants": true (admin and viewer only)',
        )
    if caller.tenant is not None and body.tenant != caller.tenant:
        raise Forbidden(
            f"a {caller.tenant} admin creates tokens for {caller.tenant} only",
            fix=f'send "tenant": "{caller.tenant}"',
        )
    issued = context.tokens.create(
        name=body.name,
        role=body.role,
        tenant=body.tenant,
        expires_in=None if body.expires_in_days is None else body.expires_in_days * 86400,
        capabilities=body.capabilities,
        created_by=caller.name,
    )
    return {**issued.token.to_dict(now=context.clock()), "secret": issued.secret}


@router.delete("/tokens/{token_id}", summary="Revoke an API token")
def revoke_token(token_id: IdPath, caller: AdminId, context: Ctx) -> dict[str, Any]:
    """Revoke it now; requests with it are refused from now on."""
    _visible_token(context, caller, token_id)
    return context.tokens.revoke(token_id, by=caller.name).to_dict(now=context.clock())
