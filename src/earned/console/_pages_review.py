"""The review queue in the console: the queue, one item with its context, and decisions.

Everything goes through the API's own code: `ReviewQueue.list/get/decide/score` with the
user's tenant, role and name, so every integrity check (role named by policy, digest,
expiry, self-approval, single decision) applies exactly as over HTTP.

Values shown are passed through the queue's redactor. The edit box of an approval starts
with the redacted arguments; a value left as shown keeps the original (`restore`), so a
reviewer who changes `amount` does not turn an email into `<EMAIL_1>`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from earned.console._forms import Form, FormError
from earned.console._web import (
    ConsoleUser,
    PageReader,
    PageReviewer,
    PostedForm,
    page_router,
    redact,
    redirect,
    render,
)
from earned.errors import EarnedError
from earned.review import REASONS, ROUTES, QueueItem, reviewer_fatigue
from earned.server._context import ApiContext
from earned.server._deps import Ctx
from earned.server._errors import _status_of
from earned.server._schemas import IdPath

__all__ = ["restore", "router"]

router = page_router("/review", area="review")

KindQuery = Annotated[Literal["approval", "draft", "audit"] | None, Query()]
DECISIONS = ("approve", "approve_edited", "reject")
_WORDS = {"approve": "approved", "approve_edited": "approved with edits", "reject": "rejected"}


def restore(edited: Any, shown: Any, original: Any) -> Any:
    """The edit with every value left as it was shown put back to its original value."""
    if edited == shown:
        return original
    if isinstance(edited, dict) and isinstance(shown, dict) and isinstance(original, dict):
        return {
            key: restore(value, shown.get(key), original.get(key)) if key in shown else value
            for key, value in edited.items()
        }
    return edited


def _fatigue(context: ApiContext, user: ConsoleUser) -> list[dict[str, Any]]:
    """Fatigue flags to show: everyone's for managers, the user's own for reviewers."""
    caller = user.identity
    if not caller.can("review"):
        return []
    report = reviewer_fatigue(context.db, window="7d", tenant=caller.tenant, clock=context.clock)
    rows = [r.to_dict() for r in report.reviewers if r.flags]
    return rows if caller.can("manage") else [r for r in rows if r["reviewer"] == caller.name]


@router.get("")
def queue(request: Request, user: PageReader, context: Ctx, kind: KindQuery = None) -> Response:
    """Pending approvals, drafts and audit samples: overdue first, then risk, then age."""
    caller = user.identity
    items = context.review.list(tenant=caller.tenant, kinds=[kind] if kind else (), limit=500)
    return render(
        request,
        user,
        "review/queue.html",
        area="review",
        items=[_row(context, item) for item in items],
        kind=kind,
        fatigue=_fatigue(context, user),
    )


def _row(context: ApiContext, item: QueueItem) -> dict[str, Any]:
    summary = redact(context, item.run_id, item.context.get("action"))
    if summary is None:
        summary = _short(redact(context, item.run_id, item.context.get("output")))
    return {"item": item, "summary": summary, "age": context.clock() - item.created_at}


def _short(value: Any, limit: int = 120) -> str:
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@router.get("/{item_id}")
def item_page(request: Request, item_id: IdPath, user: PageReader, context: Ctx) -> Response:
    """One item with its whole review context and the decision forms."""
    item = context.review.get(item_id, tenant=user.identity.tenant)
    return _item_page(request, user, context, item)


def _item_page(
    request: Request,
    user: ConsoleUser,
    context: ApiContext,
    item: QueueItem,
    *,
    error: str | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    shown = {
        key: redact(context, item.run_id, item.context.get(key))
        for key in (
            "action",
            "arguments",
            "targets",
            "tried",
            "gathered",
            "input",
            "output",
            "decisions",
            "reason",
        )
    }
    return render(
        request,
        user,
        "review/item.html",
        status=status,
        area="review",
        item=item,
        ctx=item.context,
        shown=shown,
        age=context.clock() - item.created_at,
        reasons=REASONS,
        routes=ROUTES,
        rubric=context.review.rubric,
        error=error,
        typed=typed or {},
    )


@router.post("/{item_id}/decide")
def decide(
    request: Request, item_id: IdPath, user: PageReviewer, form: PostedForm, context: Ctx
) -> Response:
    """Approve, approve with edits, or reject; edits and rejections need a reason and a note."""
    caller = user.identity
    item = context.review.get(item_id, tenant=caller.tenant)
    try:
        action = form.choice("action", DECISIONS, label="the decision")
        edited = _edited(context, item, form) if action == "approve_edited" else None
        reason, note = _reason(form, required=action != "approve")
        context.review.decide(
            item_id,
            action=action,  # type: ignore[arg-type]
            edited=edited,
            reason_code=reason,
            note=note,
            expected_digest=form.get("expected_digest"),
            reviewer=caller.name,
            role=caller.role,
            tenant=caller.tenant,
        )
    except EarnedError as exc:
        return _refused(request, user, context, item, form, exc)
    flash = f"{item_id} {_WORDS[action]}" + (f" ({reason})" if reason else "")
    return redirect(request, "/console/review", user=user, flash=flash)


@router.post("/{item_id}/score")
def score(
    request: Request, item_id: IdPath, user: PageReviewer, form: PostedForm, context: Ctx
) -> Response:
    """Score an audit sample on the rubric; a failing score needs a reason and a note."""
    caller = user.identity
    item = context.review.get(item_id, tenant=caller.tenant)
    try:
        scores = {
            c.name: int(form.choice(f"score_{c.name}", ("1", "2", "3", "4", "5"), label=c.name))
            for c in context.review.rubric.criteria
        }
        reason, note = _reason(form, required=False)
        decision = context.review.score(
            item_id,
            scores=scores,
            reason_code=reason,
            note=note,
            reviewer=caller.name,
            role=caller.role,
            tenant=caller.tenant,
        )
    except EarnedError as exc:
        return _refused(request, user, context, item, form, exc)
    verdict = "passed" if decision.passed else "failed"
    return redirect(request, "/console/review", user=user, flash=f"{item_id} scored: {verdict}")


def _edited(context: ApiContext, item: QueueItem, form: Form) -> Any:
    """The edit typed in the form, with values left as shown restored to the originals."""
    if item.kind == "approval":
        edited: Any = form.json_object("edited", label="the edited arguments")
        original = item.context.get("arguments")
    else:
        edited = form.json_value("edited", label="the edited output")
        original = item.context.get("output")
    return restore(edited, redact(context, item.run_id, original), original)


def _reason(form: Form, *, required: bool) -> tuple[str | None, str | None]:
    code = form.get("reason_code")
    note = form.get("note")
    if required or code is not None:
        code = form.choice("reason_code", tuple(REASONS), label="a reason code")
    if required and note is None:
        raise FormError("a note is required", field="note", fix="say what was wrong, briefly")
    if note is not None:
        note = form.text("note", label="the note", max_length=4000)
    return code, note


def _refused(
    request: Request,
    user: ConsoleUser,
    context: ApiContext,
    item: QueueItem,
    form: Form,
    exc: EarnedError,
) -> Response:
    status = _status_of(exc)
    if status >= 500 or status == 404:
        raise exc
    fix = exc.details.get("fix")
    message = exc.message + (f". {fix}" if fix else "")
    typed = {k: v for k, v in form.fields.items() if k != "csrf"}
    fresh = context.review.get(item.item_id, tenant=user.identity.tenant)
    return _item_page(request, user, context, fresh, error=message, status=status, typed=typed)
