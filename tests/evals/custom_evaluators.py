"""Evaluators a test manifest names as MODULE:ATTR: a class, a decorated function, a plain one."""

from __future__ import annotations

from dataclasses import dataclass

from earned.evals import EvalContext, Evaluator, Flag, Score, evaluator


@dataclass(kw_only=True)
class MentionsOrder(Evaluator):
    """The reply names the order id of the case (metadata.order_id)."""

    name = "mentions_order"
    title = "reply names the order"
    flags = ("order_missing",)

    field: str = "order_id"

    def evaluate(self, ctx: EvalContext) -> Score | None:
        order = ctx.scenario.metadata.get(self.field)
        if order is None:
            return None
        if order in ctx.output_text:
            return Score.ok()
        return Score.fail(f"reply lacks {order}", flags=[Flag("order_missing", {"order": order})])


@evaluator(title="short reply", flags=["long_reply"])
def short_reply(ctx: EvalContext, limit: int = 80) -> Score:
    """Replies longer than `limit` characters fail."""
    size = len(ctx.output_text)
    if size > limit:
        return Score.fail(
            f"{size} > {limit} characters", flags=[Flag("long_reply", {"size": size})]
        )
    return Score.ok()


def completed(ctx: EvalContext) -> bool:
    """A plain function: the run completed."""
    return ctx.result.status == "completed"
