"""earned.server's public names are pinned, documented, and importing it starts nothing."""

from __future__ import annotations

import inspect
import subprocess
import sys

import earned.server

PUBLIC = [
    "ALL_TENANT_ROLES", "API_DESCRIPTION", "ROLES", "ROLE_SCOPES", "ROUTERS", "TOKEN_PREFIX",
    "AdminId", "ApiContext", "ApiError", "ApiToken", "BadRequest", "Conflict", "Ctx",
    "Forbidden", "Identity", "IssuedToken", "Manager", "NotFound", "PayloadTooLarge", "Reader",
    "ReviewerId", "Role", "Runner", "Scope", "ServerSettings", "TokenStore", "Unauthenticated",
    "Unavailable", "create_app", "hash_token", "need",
]  # fmt: skip


def test_public_names_are_pinned_and_documented() -> None:
    assert sorted(earned.server.__all__) == sorted(PUBLIC)
    for name in earned.server.__all__:
        value = getattr(earned.server, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"earned.server.{name} has no docstring"


def test_importing_the_server_loads_neither_dbos_nor_uvicorn_nor_prometheus() -> None:
    code = (
        "import sys, earned.server; "
        "print(sorted(m for m in ('dbos', 'uvicorn', 'prometheus_client') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
