"""The audit log: who changed what an agent may do, when, from what to what, and why.

It reads `earned.store.AuditLog` (the same entries `earned audit` prints). The log records
deployment-wide changes (stage moves, flag flips, versions, breaker resets, retention
prunes), not any tenant's runs, so every role may read it, as every role may read
`GET /v1/rollout/history`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from earned.console._forms import check_filters
from earned.console._web import PageReader, page_router, render
from earned.errors import UserError
from earned.server._deps import Ctx
from earned.store import AuditEntry, AuditLog
from earned.tracing import parse_time

__all__ = ["PAGE_SIZE", "router"]

router = page_router("/audit", area="audit")

PAGE_SIZE = 50
Text = Annotated[str | None, Query(max_length=200)]


@router.get("")
def audit_log(
    request: Request,
    user: PageReader,
    context: Ctx,
    actor: Text = None,
    action: Text = None,
    target: Text = None,
    since: Text = None,
    until: Text = None,
    page: Annotated[int, Query(ge=1, le=20_000)] = 1,
) -> Response:
    """Entries matching every filter, newest first, a page at a time."""
    typed = {"actor": actor, "action": action, "target": target, "since": since, "until": until}
    values = {k: (v or "").strip() for k, v in typed.items()}
    error = None
    entries: list[AuditEntry] = []
    try:
        check_filters(values)
        now = context.clock()
        times = {
            name: parse_time(values[name], now=now, what=name) if values[name] else None
            for name in ("since", "until")
        }
        entries = AuditLog(context.db, clock=context.clock).list(
            actor=values["actor"] or None,
            action=values["action"] or None,
            target=values["target"] or None,
            since=times["since"],
            until=times["until"],
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
    except UserError as exc:
        error = exc.message
    more = len(entries) > PAGE_SIZE
    return render(
        request,
        user,
        "audit/log.html",
        status=400 if error else 200,
        area="audit",
        f=values,
        entries=entries[:PAGE_SIZE],
        page=page,
        more=more,
        error=error,
        link={k: v for k, v in values.items() if v},
    )
