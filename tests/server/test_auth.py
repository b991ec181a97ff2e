"""API tokens: random, shown once, stored as a hash; roles and tenant scope on every route."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from earned.errors import UserError
from earned.server import ROLE_SCOPES, TokenStore, Unauthenticated, hash_token
from earned.store import Database
from earned.store._tables import api_tokens
from tests.review.seed import Clock
from tests.server.conftest import Api

PUBLIC = {"/healthz", "/readyz"}


def test_a_token_is_256_random_bits_shown_once_and_stored_as_its_hash(db: Database) -> None:
    store = TokenStore(db)
    issued = store.create(name="support-app", role="operator", tenant="acme")
    assert re.fullmatch(r"ern_[A-Za-z0-9_-]{43}", issued.secret)
    assert issued.secret != store.create(name="other", role="operator", tenant="acme").secret
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(api_tokens)).mappings().all()
    stored = " ".join(str(v) for row in rows for v in row.values())
    assert issued.secret not in stored
    assert issued.secret[4:] not in stored
    assert hash_token(issued.secret) in stored
    assert hash_token(issued.secret).startswith("sha256:")
    assert "secret" not in issued.token.to_dict()


def test_verify_finds_the_token_and_refuses_unknown_revoked_and_expired(db: Database) -> None:
    clock = Clock(1_000.0)
    store = TokenStore(db, clock=clock)
    issued = store.create(name="app", role="viewer", tenant="acme", expires_in=3600)
    assert store.verify(issued.secret).token_id == issued.token.token_id
    with pytest.raises(Unauthenticated, match="unknown API token"):
        store.verify("ern_" + "x" * 43)
    with pytest.raises(Unauthenticated, match="not an earned API token"):
        store.verify("Basic abc")
    clock.now += 3600
    with pytest.raises(Unauthenticated, match="expired"):
        store.verify(issued.secret)
    other = store.create(name="app2", role="viewer", tenant="acme")
    store.revoke(other.token.token_id, by="alice")
    with pytest.raises(Unauthenticated, match="revoked"):
        store.verify(other.secret)
    assert store.get(other.token.token_id).revoked_by == "alice"  # type: ignore[union-attr]


def test_last_use_is_recorded_at_most_once_a_minute(db: Database) -> None:
    clock = Clock(1_000.0)
    store = TokenStore(db, clock=clock)
    issued = store.create(name="app", role="viewer", tenant="acme")
    store.verify(issued.secret)
    clock.now += 30
    store.verify(issued.secret)
    assert store.get(issued.token.token_id).last_used_at == 1_000.0  # type: ignore[union-attr]
    clock.now += 61
    store.verify(issued.secret)
    assert store.get(issued.token.token_id).last_used_at == 1_091.0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("role", "tenant", "message"),
    [
        ("operator", None, "scoped to one tenant"),
        ("reviewer", None, "scoped to one tenant"),
        ("owner", None, "scoped to one tenant"),
        ("superuser", "acme", "unknown role"),
    ],
)
def test_only_admin_and_viewer_tokens_may_see_every_tenant(
    db: Database, role: str, tenant: str | None, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        TokenStore(db).create(name="x", role=role, tenant=tenant)
    for role in ("admin", "viewer"):
        assert TokenStore(db).create(name=role, role=role, tenant=None).token.tenant is None


def test_the_roles_scopes_are_the_issues() -> None:
    assert {role: sorted(scopes) for role, scopes in ROLE_SCOPES.items()} == {
        "viewer": ["read"],
        "operator": ["read", "run"],
        "reviewer": ["read", "review"],
        "owner": ["manage", "read", "review"],
        "admin": ["admin", "manage", "read", "review", "run"],
    }


def _operations(api: Api) -> list[tuple[str, str]]:
    paths = api.app.openapi()["paths"]
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "x", path))
        for path, ops in paths.items()
        for method in ops
        if path not in PUBLIC
    ]


async def test_every_endpoint_but_health_needs_a_token(api: Api) -> None:
    operations = _operations(api)
    assert len(operations) >= 30
    for method, path in operations:
        response = await api.client.request(method, path, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        error = response.json()["error"]
        assert error["type"] == "Unauthenticated"
        assert "earned tokens create" in error["fix"]
    for path in PUBLIC:
        assert (await api.client.get(path)).status_code == 200


async def test_a_bad_token_is_refused_with_what_to_do(api: Api) -> None:
    bad = {"Authorization": "Bearer ern_" + "A" * 43}
    response = await api.client.get("/v1/runs", headers=bad)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "unknown API token"
    TokenStore(api.db).revoke(TokenStore(api.db).list(tenant="acme")[0].token_id)
    revoked = [n for n in api.secrets if n.startswith("acme-")]
    statuses = {(await api.get("/v1/me", as_=n)).status_code for n in revoked}
    assert 401 in statuses


ALLOWED = [
    # (method, path, body, roles that may)
    ("POST", "/v1/runs", {"agent": "echo"}, {"operator", "admin"}),
    ("POST", "/v1/runs/run_x/cancel", {}, {"operator", "admin"}),
    ("POST", "/v1/review/drafts", {"run_id": "r_x"}, {"operator", "admin"}),
    ("POST", "/v1/approvals/apr_x/approve", {}, {"reviewer", "owner", "admin"}),
    ("POST", "/v1/approvals/apr_x/reject", {"reason_code": "bad_tone", "note": "n"},
     {"reviewer", "owner", "admin"}),
    ("POST", "/v1/review/items/drf_x/decision", {"action": "approve"},
     {"reviewer", "owner", "admin"}),
    ("POST", "/v1/review/samples", {}, {"owner", "admin"}),
    ("GET", "/v1/review/fatigue", None, {"owner", "admin"}),
    ("POST", "/v1/evals/runs", {"project": "p"}, {"owner", "admin"}),
    ("GET", "/v1/tokens", None, {"admin"}),
    ("GET", "/v1/runs", None, {"viewer", "operator", "reviewer", "owner", "admin"}),
    ("GET", "/v1/review/queue", None, {"viewer", "operator", "reviewer", "owner", "admin"}),
]  # fmt: skip


async def test_each_role_may_do_what_it_is_for_and_nothing_else(api: Api) -> None:
    for method, path, body, roles in ALLOWED:
        for role in ("viewer", "operator", "reviewer", "owner", "admin"):
            headers = api.auth(f"acme-{role}")
            response = await api.client.request(method, path, json=body, headers=headers)
            if role in roles:
                assert response.status_code not in (401, 403), (role, path, response.text)
                continue
            assert response.status_code == 403, (role, path, response.text)
            error = response.json()["error"]
            assert error["type"] == "Forbidden"
            assert error["message"].startswith(f"a {role} token may not do this")
            assert "use a token with one of the roles" in error["fix"]


async def test_me_says_who_the_token_is(api: Api) -> None:
    me = (await api.get("/v1/me", as_="acme-reviewer")).json()
    assert (me["name"], me["role"], me["tenant"], me["scopes"]) == (
        "acme-reviewer",
        "reviewer",
        "acme",
        ["read", "review"],
    )
    assert (await api.get("/v1/me", as_="root")).json()["all_tenants"] is True


async def test_admins_manage_tokens_within_their_tenant(api: Api) -> None:
    created = await api.post("/v1/tokens", as_="acme-admin",
                             json={"name": "ci", "role": "viewer", "tenant": "acme"})  # fmt: skip
    assert created.status_code == 201
    secret = created.json()["secret"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await api.client.get("/v1/me", headers=headers)).json()["name"] == "ci"
    listed = (await api.get("/v1/tokens", as_="acme-admin")).json()
    assert all(t["tenant"] == "acme" for t in listed)
    assert all("secret" not in t and "token_hash" not in t for t in listed)
    other = await api.post("/v1/tokens", as_="acme-admin",
                           json={"name": "x", "role": "viewer", "tenant": "globex"})  # fmt: skip
    assert other.status_code == 403
    everyone = await api.post("/v1/tokens", as_="acme-admin",
                              json={"name": "x", "role": "viewer", "all_tenants": True})  # fmt: skip
    assert everyone.status_code == 403
    globex = TokenStore(api.db).list(tenant="globex")[0].token_id
    assert (
        await api.client.delete(f"/v1/tokens/{globex}", headers=api.auth("acme-admin"))
    ).status_code == 404
    token_id = created.json()["token_id"]
    revoked = await api.client.delete(f"/v1/tokens/{token_id}", headers=api.auth("acme-admin"))
    assert revoked.json()["status"] == "revoked"
    assert (await api.client.get("/v1/me", headers=headers)).status_code == 401
