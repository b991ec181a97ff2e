"""The web console: server-rendered pages on the API's app, for reviewers, owners and on call.

`create_app` mounts it under `/console` (and `/` leads there). It logs in with an API token
(a server-side session in an HttpOnly, SameSite=Strict cookie; CSRF-checked forms), and reads
and decides through the same stores and the same role and tenant checks as the API. Pages are
Jinja2 templates shipped with the package, styled and scripted by two static files: no build
step, nothing fetched from elsewhere.

To add a page (docs/console.md, "Adding a page")::

    from earned.console import PageReader, page_router, render
    from earned.server import Ctx

    router = page_router("/things", area="things")

    @router.get("")
    def things(request: Request, user: PageReader, context: Ctx) -> HTMLResponse:
        return render(request, user, "things/list.html", area="things", rows=[...])

and list `router` in `earned.console._app.PAGE_ROUTERS`.
"""

from earned.console._app import PAGE_ROUTERS, install_console
from earned.console._forms import Form, FormError
from earned.console._sessions import ConsoleSession, SessionStore
from earned.console._web import (
    NAV,
    ConsoleSettings,
    ConsoleUser,
    NavItem,
    PageAdmin,
    PageManager,
    PageReader,
    PageReviewer,
    PostedForm,
    page_router,
    redirect,
    render,
)

__all__ = [
    "NAV",
    "PAGE_ROUTERS",
    "ConsoleSession",
    "ConsoleSettings",
    "ConsoleUser",
    "Form",
    "FormError",
    "NavItem",
    "PageAdmin",
    "PageManager",
    "PageReader",
    "PageReviewer",
    "PostedForm",
    "SessionStore",
    "install_console",
    "page_router",
    "redirect",
    "render",
]
