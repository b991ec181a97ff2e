"""Login, sessions, CSRF and secure headers of the console, in-process over ASGI."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import sqlalchemy as sa

from earned.console import ConsoleSettings
from earned.console._sessions import csrf_token
from earned.server import TokenStore
from earned.store import Database
from earned.store._tables import console_sessions
from tests.console.conftest import Pages, csrf_of
from tests.server.conftest import Api, serve

TEMPLATES = Path(__file__).parents[2] / "src" / "earned" / "console" / "templates"


def _cookie(response: httpx.Response, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


async def test_a_page_without_a_session_leads_to_the_login_page(pages: Pages) -> None:
    client = pages.client()
    response = await client.get("/console/traces?agent=refunds")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=/console/traces%3Fagent%3Drefunds"
    assert (await client.get("/")).headers["location"] == "/console/"


async def test_logging_in_sets_a_strict_httponly_cookie_whose_id_is_stored_hashed(
    pages: Pages, api: Api
) -> None:
    client = pages.client()
    form = await client.get("/console/login")
    assert form.status_code == 200
    assert "HttpOnly" in _cookie(form, "earned_login")
    response = await client.post(
        "/console/login",
        data={
            "csrf": csrf_of(form.text),
            "token": api.secrets["acme-reviewer"],
            "next": "/console/traces",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console/traces"
    cookie = _cookie(response, "earned_session")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http (tests); see the https test below
    session_id = cookie.split(";")[0].split("=", 1)[1]
    with api.db.engine.connect() as conn:
        stored = conn.execute(sa.select(console_sessions)).mappings().all()
    assert [row["session_hash"] for row in stored] == [
        "sha256:" + hashlib.sha256(session_id.encode()).hexdigest()
    ]
    assert session_id not in str([dict(row) for row in stored])
    page = await client.get("/console/", follow_redirects=True)
    assert "acme-reviewer · reviewer · acme" in page.text
    assert csrf_of(page.text) == csrf_token(session_id)


async def test_over_https_the_cookie_is_secure(api: Api) -> None:
    transport = httpx.ASGITransport(app=api.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://console.test") as client:
        response = await client.get(f"/console/login?token={api.secrets['acme-viewer']}")
        assert "Secure" in _cookie(response, "earned_session")


async def test_the_login_form_refuses_a_post_without_its_csrf_cookie(
    pages: Pages, api: Api
) -> None:
    client = pages.client()
    form = await client.get("/console/login")
    client.cookies.clear()
    response = await client.post(
        "/console/login", data={"csrf": csrf_of(form.text), "token": api.secrets["root"]}
    )
    assert response.status_code == 403
    assert "not sent from this console" in response.text
    assert "earned_session" not in response.headers.get("set-cookie", "")


async def test_a_bad_token_is_refused_with_a_readable_message(pages: Pages) -> None:
    client = pages.client()
    form = await client.get("/console/login")
    for token, words in (
        ("ern_" + "x" * 43, "unknown API token"),
        ("hello", "not an earned API token"),
        ("", "paste an API token"),
    ):
        response = await client.post(
            "/console/login", data={"csrf": csrf_of(form.text), "token": token}
        )
        assert response.status_code in (400, 401)
        assert words in response.text
        assert "Traceback" not in response.text
        form = response


async def test_the_login_link_is_accepted_once_and_dropped_from_the_url(
    pages: Pages, api: Api
) -> None:
    client = pages.client()
    response = await client.get(
        f"/console/login?token={api.secrets['acme-owner']}&next=/console/review"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console/review"
    assert "token" not in response.headers["location"]
    page = await client.get("/console/", follow_redirects=True)
    assert "acme-owner · owner · acme" in page.text
    assert api.secrets["acme-owner"] not in page.text


async def test_next_never_leaves_the_console(pages: Pages, api: Api) -> None:
    client = pages.client()
    for target in ("https://evil.example/", "//evil.example/console/", "/v1/runs", "/console\\x"):
        response = await client.get(
            "/console/login", params={"token": api.secrets["root"], "next": target}
        )
        assert response.headers["location"] == "/console/"


async def test_logout_needs_the_csrf_token_and_ends_the_session(pages: Pages) -> None:
    session = await pages.login("acme-viewer")
    refused = await session.client.post("/console/logout", data={"csrf": "0" * 64})
    assert refused.status_code == 403
    assert "security token does not match" in refused.text
    still = await session.get("/console/", follow_redirects=True)
    assert "acme-viewer" in still.text
    response = await session.post("/console/logout", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"
    after = await session.get("/console/review")
    assert after.status_code == 303
    assert after.headers["location"].startswith("/console/login")


async def test_a_revoked_token_ends_its_sessions(pages: Pages, api: Api) -> None:
    session = await pages.login("globex-viewer")
    tokens = TokenStore(api.db)
    token_id = next(t.token_id for t in tokens.list() if t.name == "globex-viewer")
    tokens.revoke(token_id, by="root")
    response = await session.get("/console/review")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login")


async def test_an_idle_session_expires(pages: Pages, api: Api) -> None:
    session = await pages.login("acme-viewer")
    clock = api.app.state.earned.clock
    clock.now += 2 * 3600 + 1
    response = await session.get("/console/review")
    assert response.status_code == 303
    clock.now -= 2 * 3600 + 1


async def test_a_post_that_is_not_a_form_is_a_readable_400(pages: Pages) -> None:
    session = await pages.login("acme-viewer")
    response = await session.client.post("/console/logout", json={"csrf": session.csrf})
    assert response.status_code == 400
    assert "accepts forms posted as application/x-www-form-urlencoded" in response.text


async def test_pages_carry_a_strict_csp_and_no_inline_script_or_style(pages: Pages) -> None:
    session = await pages.login("acme-viewer")
    page = await session.get("/console/", follow_redirects=True)
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\sstyle=|\son[a-z]+=", text), template


async def test_an_unknown_console_page_is_an_html_404(pages: Pages) -> None:
    session = await pages.login("acme-viewer")
    response = await session.get("/console/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "there is no console page /console/nope" in response.text


async def test_a_session_ends_after_its_lifetime_even_when_in_use(pages: Pages, api: Api) -> None:
    session = await pages.login("acme-viewer")
    clock = api.app.state.earned.clock
    start = clock.now
    for _ in range(6):  # a request every 110 minutes: never idle, 11 hours in all
        clock.now += 110 * 60
        assert (await session.get("/console/review")).status_code == 200
    clock.now += 110 * 60  # 12 h 50 min after login
    assert (await session.get("/console/review")).status_code == 303
    clock.now = start


async def test_behind_a_tls_proxy_cookies_can_always_be_secure(db: Database) -> None:
    async for served in serve(db, console=ConsoleSettings(secure_cookies=True)):
        response = await served.client.get(f"/console/login?token={served.secrets['acme-viewer']}")
        assert "Secure" in _cookie(response, "earned_session")


async def test_the_console_can_be_left_out(db: Database) -> None:
    async for served in serve(db, console=False):
        assert (await served.client.get("/console/login")).status_code == 404
        assert (await served.client.get("/healthz")).status_code == 200
