"""FastAPI dependencies: the app's context, and the caller's identity checked for a scope.

Every route but `/healthz` and `/readyz` takes one of `Reader`, `Runner`, `ReviewerId`,
`Manager` or `AdminId`: the bearer token is verified (401 otherwise) and its role must have
the scope (403 otherwise). Tenant checks are the routes' job, through `Identity.sees`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, get_args, get_origin

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from earned.server._auth import Identity, Scope
from earned.server._context import ApiContext
from earned.server._errors import ApiError, Unauthenticated, Unavailable

__all__ = [
    "AdminId",
    "Ctx",
    "Manager",
    "Reader",
    "ReviewerId",
    "Runner",
    "bearer",
    "get_context",
    "identity",
    "need",
    "reject_unknown_query",
]


class UnknownQuery(ApiError):
    """422: a query parameter the endpoint does not take."""

    status = 422


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token from `earned tokens create` (ern_...), as a bearer token.",
)


def get_context(request: Request) -> ApiContext:
    """The app's context, or 503 when its lifespan has not run."""
    context = getattr(request.app.state, "earned", None)
    if not isinstance(context, ApiContext):
        raise Unavailable(
            "the API is not started: its lifespan has not run",
            fix="serve it with `earned serve` (or uvicorn), or enter app.router.lifespan_context",
        )
    return context


Ctx = Annotated[ApiContext, Depends(get_context)]


def identity(
    context: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Identity:
    """The caller, from a valid bearer token; 401 without one."""
    if credentials is None or not credentials.credentials:
        raise Unauthenticated(
            "this endpoint needs an API token",
            fix="send `Authorization: Bearer ern_...`; create a token with `earned tokens "
            "create --role R --tenant T`",
        )
    token = context.tokens.verify(credentials.credentials)
    return Identity(
        token_id=token.token_id,
        name=token.name,
        role=token.role,
        tenant=token.tenant,
        capabilities=token.capabilities,
    )


def need(scope: Scope) -> Callable[[Identity], Identity]:
    """A dependency: the caller, if their role has `scope` (403 otherwise)."""

    def check(caller: Annotated[Identity, Depends(identity)]) -> Identity:
        return caller.need(scope)

    check.__name__ = f"need_{scope}"
    return check


Reader = Annotated[Identity, Depends(need("read"))]
Runner = Annotated[Identity, Depends(need("run"))]
ReviewerId = Annotated[Identity, Depends(need("review"))]
Manager = Annotated[Identity, Depends(need("manage"))]
AdminId = Annotated[Identity, Depends(need("admin"))]


def reject_unknown_query(request: Request) -> None:
    """422 for a query parameter the endpoint does not take, or a single one given twice.

    A typo must not widen a filter (`?stauts=failed` silently listing everything), and
    `?tool=a&tool=b` must not quietly mean `tool=b`.
    """
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    params = _query_params(dependant)
    unknown = sorted(set(request.query_params) - set(params))
    if unknown:
        raise UnknownQuery(
            f"unknown query parameter {', '.join(map(repr, unknown))}",
            unknown=unknown[:20],
            fix=f"this endpoint takes {', '.join(sorted(params)) or 'no query parameters'}",
        )
    repeated = sorted(
        {k for k in request.query_params if not params[k]}
        & {k for k in request.query_params if len(request.query_params.getlist(k)) > 1}
    )
    if repeated:
        raise UnknownQuery(
            f"query parameter {', '.join(map(repr, repeated))} is given more than once",
            repeated=repeated,
            fix="give it once (it takes one value)",
        )


def _query_params(dependant: Any) -> dict[str, bool]:
    """Every query parameter of a route and its dependencies: alias -> takes several values."""
    found = {p.alias: _is_list(p.field_info.annotation) for p in dependant.query_params}
    for sub in dependant.dependencies:
        found |= _query_params(sub)
    return found


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return any(_is_list(arg) for arg in get_args(annotation))
