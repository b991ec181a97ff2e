"""The HTTP API: an app factory with injected dependencies, tokens with roles and tenants.

```python
from earned.server import TokenStore, create_app

issued = TokenStore(db).create(name="support-app", role="operator", tenant="acme")
print(issued.secret)                               # shown once; stored as a SHA-256 hash
app = create_app(database=db, engine=engine)       # FastAPI; OpenAPI at /openapi.json
```

See docs/api.md for every endpoint, the roles, tenant isolation and the error format.
"""

from earned.server._app import API_DESCRIPTION, ROUTERS, create_app
from earned.server._auth import (
    ALL_TENANT_ROLES,
    ROLE_SCOPES,
    ROLES,
    TOKEN_PREFIX,
    ApiToken,
    Identity,
    IssuedToken,
    Role,
    Scope,
    TokenStore,
    hash_token,
)
from earned.server._context import ApiContext, ServerSettings
from earned.server._deps import AdminId, Ctx, Manager, Reader, ReviewerId, Runner, need
from earned.server._errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    Unavailable,
)

__all__ = [
    "ALL_TENANT_ROLES",
    "API_DESCRIPTION",
    "ROLES",
    "ROLE_SCOPES",
    "ROUTERS",
    "TOKEN_PREFIX",
    "AdminId",
    "ApiContext",
    "ApiError",
    "ApiToken",
    "BadRequest",
    "Conflict",
    "Ctx",
    "Forbidden",
    "Identity",
    "IssuedToken",
    "Manager",
    "NotFound",
    "PayloadTooLarge",
    "Reader",
    "ReviewerId",
    "Role",
    "Runner",
    "Scope",
    "ServerSettings",
    "TokenStore",
    "Unauthenticated",
    "Unavailable",
    "create_app",
    "hash_token",
    "need",
]
