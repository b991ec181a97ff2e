"""API tokens, roles and tenant scope; the dependency every route uses to check them.

A token is `ern_` and 43 URL-safe characters: 256 random bits from `secrets`. It is shown
once, when created; the database keeps only its SHA-256 (`sha256:` + hex) and a display
prefix. SHA-256 and not bcrypt or argon2: those are built for low-entropy passwords and are
slow on purpose (tens of milliseconds a check). A 256-bit random token cannot be guessed
however fast the hash is, and a fast hash lets every request find its token with one
indexed lookup instead of spending CPU an attacker could exhaust.

Roles and what they may do (`ROLE_SCOPES`):

| role | read | run | review | manage | admin |
|---|---|---|---|---|---|
| `viewer` | yes | | | | |
| `operator` | yes | yes | | | |
| `reviewer` | yes | | yes | | |
| `owner` | yes | | yes | yes | |
| `admin` | yes | yes | yes | yes | yes |

`read`: runs, traces, approvals, the review queue, evals, metrics. `run`: submit and cancel
runs, offer drafts. `review`: decide approvals and drafts, score audits (policy still names
which roles may decide each approval). `manage`: run evals, sample audits, and (issue 6)
stages, flags and versions of the owner's capabilities. `admin`: tokens.

Every token has a tenant, or sees every tenant: only `admin` and `viewer` tokens may be
created for every tenant (a scrape or dashboard token). A token never sees another tenant's
runs, traces, approvals or review items: they answer 404, as if they did not exist.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import sqlalchemy as sa

from earned.errors import UserError
from earned.server._errors import Forbidden, NotFound, Unauthenticated
from earned.store import Database
from earned.store._runs import check_schema_version
from earned.store._tables import TOKEN_SCHEMA_VERSION, api_tokens

__all__ = [
    "ALL_TENANT_ROLES",
    "ROLES",
    "ROLE_SCOPES",
    "TOKEN_PREFIX",
    "ApiToken",
    "Identity",
    "IssuedToken",
    "Role",
    "Scope",
    "TokenStore",
    "hash_token",
]

Role = Literal["admin", "owner", "reviewer", "operator", "viewer"]
ROLES: tuple[Role, ...] = get_args(Role)
Scope = Literal["read", "run", "review", "manage", "admin"]
ROLE_SCOPES: dict[str, frozenset[Scope]] = {
    "viewer": frozenset({"read"}),
    "operator": frozenset({"read", "run"}),
    "reviewer": frozenset({"read", "review"}),
    "owner": frozenset({"read", "review", "manage"}),
    "admin": frozenset({"read", "run", "review", "manage", "admin"}),
}
#: Roles whose tokens may see every tenant.
ALL_TENANT_ROLES: frozenset[str] = frozenset({"admin", "viewer"})
TOKEN_PREFIX = "ern_"
#: `last_used_at` is written at most this often per token (seconds).
TOUCH_INTERVAL = 60.0
_SECRET_BYTES = 32
_MAX_TOKEN_LENGTH = 200


def hash_token(secret: str) -> str:
    """What the database keeps of a token: `sha256:` and the hex digest."""
    return "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class ApiToken:
    """A stored token: who it is for, its role and tenant; never the secret itself."""

    token_id: str
    name: str
    prefix: str
    role: str
    tenant: str | None
    capabilities: list[str] | None
    created_at: float
    created_by: str | None
    expires_at: float | None
    revoked_at: float | None
    revoked_by: str | None
    last_used_at: float | None

    def status(self, now: float) -> Literal["active", "expired", "revoked"]:
        """Whether the token can be used at `now`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"

    def to_dict(self, *, now: float | None = None) -> dict[str, Any]:
        """The JSON form (with the status at `now` when given)."""
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        if now is not None:
            data["status"] = self.status(now)
        return data


@dataclass(frozen=True, kw_only=True)
class IssuedToken:
    """A token just created: the record and the secret, which is shown this once."""

    token: ApiToken
    secret: str


@dataclass(frozen=True, kw_only=True)
class Identity:
    """Who is calling: a token's id, name, role, tenant (None: every tenant), capabilities."""

    token_id: str
    name: str
    role: str
    tenant: str | None
    capabilities: list[str] | None = None

    @property
    def scopes(self) -> frozenset[Scope]:
        """What the role may do."""
        return ROLE_SCOPES.get(self.role, frozenset())

    def can(self, scope: Scope) -> bool:
        """True when the role has `scope`."""
        return scope in self.scopes

    @property
    def all_tenants(self) -> bool:
        """True for a token that sees every tenant."""
        return self.tenant is None

    def sees(self, tenant: str | None) -> bool:
        """True when an object of `tenant` is visible to this token."""
        return self.tenant is None or tenant == self.tenant

    def owns(self, capability: str | None) -> bool:
        """True when this token may manage `capability` (admins and unrestricted owners)."""
        if self.role == "admin" or self.capabilities is None:
            return True
        return capability is not None and capability in self.capabilities

    def need(self, scope: Scope) -> Identity:
        """Self, or Forbidden naming the roles that may."""
        if not self.can(scope):
            roles = [r for r in ROLES if scope in ROLE_SCOPES[r]]
            raise Forbidden(
                f"a {self.role} token may not do this (it needs {scope!r})",
                role=self.role,
                needed=scope,
                fix=f"use a token with one of the roles {', '.join(roles)}",
            )
        return self

    def visible(self, tenant: str | None, what: str) -> None:
        """NotFound (`no {what}`) unless an object of `tenant` is visible to this token."""
        if not self.sees(tenant):
            raise NotFound(f"no {what}", fix="check the id; list what this token can see")


def _row_to_token(row: sa.RowMapping) -> ApiToken:
    check_schema_version(
        int(row["schema_version"]), TOKEN_SCHEMA_VERSION, what="API token", id=row["token_id"]
    )
    return ApiToken(**{name: row[name] for name in ApiToken.__dataclass_fields__})


def _check_text(name: str, value: str | None, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip() or len(value) > 200 or "\x00" in value:
        raise UserError(
            f"a token's {name} must be 1 to 200 characters, got {value!r}",
            field=name,
            fix=f"pass a {name} such as 'ci-dashboard' or 'acme'",
        )


class TokenStore:
    """Creates, verifies, lists and revokes API tokens in the project database."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        db.check_revision()
        self.db = db
        self.clock = clock

    def create(
        self,
        *,
        name: str,
        role: str,
        tenant: str | None,
        expires_in: float | None = None,
        capabilities: Sequence[str] | None = None,
        created_by: str | None = None,
    ) -> IssuedToken:
        """A new token; `tenant=None` means every tenant (only for admin and viewer)."""
        _check_text("name", name, required=True)
        _check_text("tenant", tenant, required=False)
        if role not in ROLE_SCOPES:
            raise UserError(
                f"unknown role {role!r}", role=role, fix=f"use one of {', '.join(ROLES)}"
            )
        if tenant is None and role not in ALL_TENANT_ROLES:
            raise UserError(
                f"a {role} token must be scoped to one tenant",
                role=role,
                fix="pass --tenant T; only admin and viewer tokens may see every tenant",
            )
        if expires_in is not None and not expires_in > 0:
            raise UserError(
                f"a token must expire in the future, got {expires_in!r} seconds",
                fix="pass --expires 90d, or --expires never",
            )
        now = self.clock()
        secret = TOKEN_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
        token = ApiToken(
            token_id=f"tok_{uuid.uuid4().hex[:16]}",
            name=name.strip(),
            prefix=secret[:10],
            role=role,
            tenant=tenant,
            capabilities=sorted(set(capabilities)) if capabilities is not None else None,
            created_at=now,
            created_by=created_by,
            expires_at=None if expires_in is None else now + expires_in,
            revoked_at=None,
            revoked_by=None,
            last_used_at=None,
        )
        row = {**token.to_dict(), "token_hash": hash_token(secret)}
        with self.db.engine.begin() as conn:
            conn.execute(sa.insert(api_tokens).values(**row, schema_version=TOKEN_SCHEMA_VERSION))
        return IssuedToken(token=token, secret=secret)

    def verify(self, secret: str) -> ApiToken:
        """The active token with this secret, or Unauthenticated saying what is wrong."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > _MAX_TOKEN_LENGTH:
            raise Unauthenticated(
                "the bearer token is not an earned API token",
                fix="send `Authorization: Bearer ern_...` with a token from `earned tokens create`",
            )
        query = sa.select(api_tokens).where(api_tokens.c.token_hash == hash_token(secret))
        with self.db.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            raise Unauthenticated(
                "unknown API token", fix="check the token, or create one: earned tokens create"
            )
        token = _row_to_token(row)
        now = self.clock()
        status = token.status(now)
        if status != "active":
            raise Unauthenticated(
                f"this API token is {status}",
                fix="ask an admin for a new one: earned tokens create --role R --tenant T",
            )
        if token.last_used_at is None or now - token.last_used_at > TOUCH_INTERVAL:
            self._touch(token.token_id, now)
        return token

    def _touch(self, token_id: str, now: float) -> None:
        stmt = sa.update(api_tokens).where(api_tokens.c.token_id == token_id)
        with self.db.engine.begin() as conn:
            conn.execute(stmt.values(last_used_at=now))

    def get(self, token_id: str) -> ApiToken | None:
        """The token with this id, or None."""
        query = sa.select(api_tokens).where(api_tokens.c.token_id == token_id)
        with self.db.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _row_to_token(row)

    def list(self, *, tenant: str | None = None, active_only: bool = False) -> list[ApiToken]:
        """Tokens, newest first; `tenant` keeps that tenant's (None: every token)."""
        query = sa.select(api_tokens).order_by(
            api_tokens.c.created_at.desc(), api_tokens.c.token_id
        )
        if tenant is not None:
            query = query.where(api_tokens.c.tenant == tenant)
        with self.db.engine.connect() as conn:
            tokens = [_row_to_token(r) for r in conn.execute(query).mappings().all()]
        now = self.clock()
        return [t for t in tokens if not active_only or t.status(now) == "active"]

    def revoke(self, token_id: str, *, by: str | None = None) -> ApiToken:
        """Revoke a token now (again is harmless); UserError for an unknown id."""
        stmt = (
            sa.update(api_tokens)
            .where(api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=self.clock(), revoked_by=by)
        )
        with self.db.engine.begin() as conn:
            conn.execute(stmt)
        token = self.get(token_id)
        if token is None:
            raise NotFound(
                f"no API token {token_id!r}",
                fix="list tokens with `earned tokens list` (ids start with tok_)",
            )
        return token
