"""What every console page uses: settings, the logged-in user, `render`, routers, errors.

A page is a route on a router made by `page_router(...)`; it takes the user through
`PageReader` (or `PageReviewer`, `PageManager`, `PageAdmin`: the API's scopes, checked by the
same `Identity.need`), the API's context through `Ctx`, and answers `render(...)`::

    router = page_router("/things", area="things")

    @router.get("")
    def things(request: Request, user: PageReader, context: Ctx) -> HTMLResponse:
        rows = context.runs.list(tenant=user.identity.tenant)   # the tenant rule of the API
        return render(request, user, "things/list.html", rows=rows)

Errors raised by a page (a missing item, a refused decision, a bad query parameter) are shown
as an HTML page with the message and what to do, with the API's status code; a request
without a live session is sent to the login page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from earned.console._filters import FILTERS
from earned.console._forms import Form, read_form
from earned.console._sessions import ConsoleSession, SessionStore, csrf_matches
from earned.errors import EarnedError
from earned.server._auth import Identity, Scope
from earned.server._context import ApiContext
from earned.server._deps import get_context
from earned.server._errors import Forbidden, Unauthenticated, _status_of

__all__ = [
    "NAV",
    "ConsoleSettings",
    "ConsoleState",
    "ConsoleUser",
    "NavItem",
    "PageAdmin",
    "PageManager",
    "PageReader",
    "PageReviewer",
    "PostedForm",
    "console_state",
    "page_router",
    "redact",
    "redirect",
    "render",
]

logger = logging.getLogger("earned.console")

PREFIX = "/console"
SESSION_COOKIE = "earned_session"
LOGIN_COOKIE = "earned_login"


@dataclass(frozen=True, kw_only=True)
class NavItem:
    """A link of the console's navigation bar."""

    area: str
    label: str
    path: str


#: The navigation bar, in order. Pages name their `area` to be highlighted.
NAV: tuple[NavItem, ...] = (
    NavItem(area="review", label="Review", path=f"{PREFIX}/review"),
    NavItem(area="traces", label="Traces", path=f"{PREFIX}/traces"),
    NavItem(area="capabilities", label="Capabilities", path=f"{PREFIX}/capabilities"),
    NavItem(area="evals", label="Evals", path=f"{PREFIX}/evals"),
    NavItem(area="metrics", label="Metrics", path=f"{PREFIX}/metrics"),
    NavItem(area="audit", label="Audit", path=f"{PREFIX}/audit"),
)


@dataclass(frozen=True, kw_only=True)
class ConsoleSettings:
    """How the console behaves; the defaults are the secure ones."""

    #: A session ends this long after login, and this long after its last request (seconds).
    session_lifetime: float = 12 * 3600.0
    session_idle: float = 2 * 3600.0
    #: Mark cookies Secure: None, when the request came over https; True, always (behind a
    #: proxy that terminates TLS and does not forward the scheme).
    secure_cookies: bool | None = None
    #: The Content-Security-Policy of console pages: scripts and styles from the console only.
    content_security_policy: str = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


@dataclass(kw_only=True)
class ConsoleState:
    """The console of one app: its settings, templates, and session store (built on use)."""

    settings: ConsoleSettings
    templates: jinja2.Environment
    sessions: SessionStore | None = None


def make_templates() -> jinja2.Environment:
    """The template environment: the package's templates, autoescaped, strict."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("earned.console", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def console_state(request: Request) -> ConsoleState:
    """The app's console state, with a session store on the app's database."""
    state: ConsoleState = request.app.state.console
    context = get_context(request)
    if state.sessions is None or state.sessions.db is not context.db:
        state.sessions = SessionStore(
            context.db,
            clock=context.clock,
            lifetime=state.settings.session_lifetime,
            idle=state.settings.session_idle,
        )
    return state


@dataclass(frozen=True, kw_only=True)
class ConsoleUser:
    """The logged-in user: the API identity of the session's token, and the session."""

    identity: Identity
    session: ConsoleSession

    @property
    def csrf(self) -> str:
        """The CSRF token every form of this session posts (field `csrf`)."""
        return self.session.csrf


def session_user(request: Request) -> ConsoleUser:
    """The user of the request's session; Unauthenticated (sent to login) without one."""
    state = console_state(request)
    assert state.sessions is not None
    session = state.sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise Unauthenticated("please log in", fix="paste an API token on the login page")
    context = get_context(request)
    token = context.tokens.get(session.token_id)
    if token is None or token.status(context.clock()) != "active":
        state.sessions.end(session.session_id)
        raise Unauthenticated(
            "the API token of this session is no longer active",
            fix="log in again with an active token",
        )
    identity = Identity(
        token_id=token.token_id,
        name=token.name,
        role=token.role,
        tenant=token.tenant,
        capabilities=token.capabilities,
    )
    return ConsoleUser(identity=identity, session=session)


def page_user(scope: Scope) -> Callable[[ConsoleUser], ConsoleUser]:
    """A dependency: the logged-in user, if the token's role has `scope` (403 otherwise)."""

    def check(user: Annotated[ConsoleUser, Depends(session_user)]) -> ConsoleUser:
        user.identity.need(scope)
        return user

    check.__name__ = f"page_need_{scope}"
    return check


PageReader = Annotated[ConsoleUser, Depends(page_user("read"))]
PageReviewer = Annotated[ConsoleUser, Depends(page_user("review"))]
PageManager = Annotated[ConsoleUser, Depends(page_user("manage"))]
PageAdmin = Annotated[ConsoleUser, Depends(page_user("admin"))]


async def posted_form(
    request: Request, user: Annotated[ConsoleUser, Depends(session_user)]
) -> Form:
    """The posted form, once its CSRF token matches the session's (403 otherwise)."""
    form = await read_form(request)
    if not csrf_matches(user.session.session_id, form.fields.get("csrf")):
        raise Forbidden(
            "the form's security token does not match this session",
            fix="reload the page and submit the form again",
        )
    return form


PostedForm = Annotated[Form, Depends(posted_form)]


def redact(context: ApiContext, run_id: str, value: Any) -> Any:
    """`value` as pages show it: through the app's redactor (PII and secrets replaced)."""
    if value is None:
        return None
    scope = f"console:{run_id}"
    try:
        return context.review.redactor.scope(scope).value(value)
    finally:
        context.review.redactor.forget(scope)


def _page_headers(settings: ConsoleSettings) -> dict[str, str]:
    return {
        "Content-Security-Policy": settings.content_security_policy,
        # same-origin (not no-referrer): a form post then carries its true Origin
        "Referrer-Policy": "same-origin",
    }


def render(
    request: Request,
    user: ConsoleUser | None,
    template: str,
    *,
    status: int = 200,
    area: str | None = None,
    **values: Any,
) -> HTMLResponse:
    """A page: `template` rendered with the common context (user, nav, CSRF, flash)."""
    state: ConsoleState = request.app.state.console
    flash = None
    if user is not None and user.session.flash and state.sessions is not None:
        flash = user.session.flash
        state.sessions.set_flash(user.session.session_id, None)
    context = getattr(request.app.state, "earned", None)
    common = {
        "user": None if user is None else user.identity,
        "csrf": None if user is None else user.csrf,
        "nav": NAV,
        "area": area,
        "flash": flash,
        "prefix": PREFIX,
        "now": context.clock() if isinstance(context, ApiContext) else None,
        "path": request.url.path,
    }
    html = state.templates.get_template(template).render({**common, **values})
    return HTMLResponse(html, status_code=status, headers=_page_headers(state.settings))


def redirect(
    request: Request, path: str, *, user: ConsoleUser | None = None, flash: str | None = None
) -> RedirectResponse:
    """303 to `path` (a console path), with a message for the next page when given."""
    if flash is not None and user is not None:
        state = console_state(request)
        assert state.sessions is not None
        state.sessions.set_flash(user.session.session_id, flash)
    return RedirectResponse(path, status_code=303)


def secure(request: Request) -> bool:
    """Whether the console's cookies are marked Secure for this request."""
    state: ConsoleState = request.app.state.console
    setting = state.settings.secure_cookies
    return request.url.scheme == "https" if setting is None else setting


def safe_next(path: str | None) -> str:
    """`path` if it is a console page of this server (quoted for a header), else the home."""
    if path and path.startswith(f"{PREFIX}/") and "//" not in path and "\\" not in path:
        return quote(path, safe="/?&=:,+-._~%")
    return f"{PREFIX}/"


def error_page(request: Request, exc: Exception) -> Response:
    """The HTML answer to an error raised by a page (the API would answer it in JSON)."""
    if isinstance(exc, Unauthenticated):
        target = request.url.path if request.method == "GET" else f"{PREFIX}/"
        if request.url.query and request.method == "GET":
            target += "?" + request.url.query
        return RedirectResponse(
            f"{PREFIX}/login?next={quote(safe_next(target), safe='/')}", status_code=303
        )
    status, message, fix = _describe(request, exc)
    user = _user_or_none(request)
    return render(
        request, user, "error.html", status=status, message=message, fix=fix, status_code=status
    )


def _describe(request: Request, exc: Exception) -> tuple[int, str, str | None]:
    if isinstance(exc, EarnedError):
        status = _status_of(exc)
        if status < 500:
            return status, exc.message, exc.details.get("fix")
    elif isinstance(exc, RequestValidationError):
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path"))
            problems.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
        return 422, "this page cannot show that: " + "; ".join(problems[:10]), _FIX_QUERY
    elif isinstance(exc, HTTPException) and exc.status_code < 500:
        return exc.status_code, str(exc.detail), None
    logger.error("console error serving %s %s", request.method, request.url.path, exc_info=exc)
    return 500, "the console failed while serving this page; this is a bug in earned", _FIX_BUG


_FIX_QUERY = "correct the fields named above, or start again from the navigation bar"
_FIX_BUG = "retry later, and report it with the server log's traceback"


def _user_or_none(request: Request) -> ConsoleUser | None:
    try:
        return session_user(request)
    except Exception:
        return None


class ConsoleRoute(APIRoute):
    """A route whose errors are answered with an HTML page (or a redirect to login)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, wrapped so that errors become pages."""
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                return error_page(request, exc)

        return guarded


def page_router(path: str, *, area: str | None = None) -> APIRouter:
    """A router for one area of the console, under `/console{path}`, kept out of OpenAPI."""
    tags: list[str | Any] = [f"console:{area}"] if area else ["console"]
    return APIRouter(
        prefix=f"{PREFIX}{path}", route_class=ConsoleRoute, include_in_schema=False, tags=tags
    )
