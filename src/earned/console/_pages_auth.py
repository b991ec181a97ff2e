"""Logging in and out: an API token pasted (or given once in a link) becomes a session.

- `GET /console/login`: the form. Its CSRF token is a random value in a short-lived
  SameSite=Strict cookie, echoed in a hidden field (no session exists yet to derive it from).
- `POST /console/login`: checks that token, verifies the API token like the API does, and
  starts a session: an HttpOnly, SameSite=Strict cookie (Secure over https) holding a random
  id whose SHA-256 is stored.
- `GET /console/login?token=ern_...`: the link `earned demo` prints. The token is accepted
  once, the session set, and the browser sent on to a URL without it.
- `POST /console/logout`: ends the session (CSRF-checked like every form).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from earned.console._forms import FormError, read_form
from earned.console._sessions import SessionStore
from earned.console._web import (
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    ConsoleUser,
    PostedForm,
    console_state,
    page_router,
    render,
    safe_next,
    secure,
    session_user,
)
from earned.server._auth import ApiToken
from earned.server._deps import Ctx
from earned.server._errors import Unauthenticated

__all__ = ["router"]

router = page_router("")

NextQuery = Annotated[str | None, Query(max_length=2000)]
TokenQuery = Annotated[str | None, Query(max_length=500)]
_LOGIN_COOKIE_AGE = 3600


@router.get("/")
def home(request: Request) -> Response:
    """The console's home: the review queue."""
    return RedirectResponse(f"{PREFIX}/review", status_code=303)


@router.get("/login")
def login_page(
    request: Request, context: Ctx, next: NextQuery = None, token: TokenQuery = None
) -> Response:
    """The login form; with `token`, log in with it once and drop it from the URL."""
    target = safe_next(next)
    if token is not None:
        return _start_session(request, context, token, target)
    try:
        session_user(request)
    except Unauthenticated:
        return _login_form(request, target)
    return RedirectResponse(target, status_code=303)


@router.post("/login")
async def login(request: Request, context: Ctx) -> Response:
    """Check the form's CSRF token and the API token; start a session."""
    try:
        form = await read_form(request)
    except FormError as exc:
        return _login_form(request, f"{PREFIX}/", error=exc.message, status=400)
    target = safe_next(form.get("next"))
    expected = request.cookies.get(LOGIN_COOKIE)
    sent = form.fields.get("csrf", "")
    if not expected or not secrets.compare_digest(expected, sent):
        return _login_form(
            request,
            target,
            error="the login form expired or was not sent from this console; try again",
            status=403,
        )
    token = form.get("token")
    if token is None:
        return _login_form(request, target, error="paste an API token (ern_...)", status=400)
    return await run_in_threadpool(_start_session, request, context, token, target)


@router.post("/logout")
def logout(request: Request, form: PostedForm) -> Response:
    """End the session and go back to the login page."""
    state = console_state(request)
    assert state.sessions is not None
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        state.sessions.end(session_id)
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX, httponly=True, samesite="strict")
    return response


def _start_session(request: Request, context: Ctx, secret: str, target: str) -> Response:
    try:
        token: ApiToken = context.tokens.verify(secret.strip())
    except Unauthenticated as exc:
        return _login_form(request, target, error=exc.message, status=401)
    state = console_state(request)
    sessions: SessionStore | None = state.sessions
    assert sessions is not None
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        sessions.end(old)  # a new login never reuses a session id
    session = sessions.create(token.token_id)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.session_id,
        max_age=int(state.settings.session_lifetime),
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )
    response.delete_cookie(LOGIN_COOKIE, path=f"{PREFIX}/login", httponly=True, samesite="strict")
    return response


def _login_form(
    request: Request, target: str, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(32)
    user: ConsoleUser | None = None
    response = render(
        request, user, "login.html", status=status, error=error, login_csrf=nonce, next=target
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=_LOGIN_COOKIE_AGE,
        path=f"{PREFIX}/login",
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )
    return response
