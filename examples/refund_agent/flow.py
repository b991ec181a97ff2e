"""The refund workflow's shared steps and the offline (static workflow) brain.

classify -> suggest a policy section -> (refund requests) read the order -> read the
approved policy for its product and region -> recommend by the policy's rules -> draft a
reply from approved text -> submit the refund, which policy lets run, holds for a reviewer
or denies. Other tickets are routed to their queue with no tool call.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from examples.refund_agent.brain.classifier import GOLDEN_PATH, TicketClassifier
from examples.refund_agent.brain.drafting import quote, reply
from examples.refund_agent.brain.facts import TicketFacts, extract_facts
from examples.refund_agent.brain.policy_doc import PolicyDocument, section_id
from examples.refund_agent.brain.retrieval import PolicyRetriever
from examples.refund_agent.brain.rules import recommend
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from earned.errors import SemanticToolError, ToolDenied, UserError
from earned.runtime import RunContext

__all__ = [
    "OfflineBrain",
    "Ticket",
    "conclude",
    "offline_workflow",
    "record_outcome",
    "reply_with_section",
    "route",
]

_ANGRY = re.compile(r"!!|furious|ridiculous|unacceptable|worst|joke|done being|seriously\?", re.I)


class Ticket(BaseModel):
    """A support ticket as the help desk sends it (the run's input)."""

    model_config = ConfigDict(extra="ignore")

    ticket_id: str = ""
    text: str = Field(min_length=1)
    order_id: str | None = None
    region: str = "US"
    channel: str = "email"
    customer_tier: str = "standard"
    created_at: dt.date | None = None

    @classmethod
    def parse(cls, raw: Any) -> Ticket:
        """A ticket from a dict or plain text; a bad one is a UserError saying what to send."""
        try:
            return cls.model_validate({"text": raw} if isinstance(raw, str) else raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(input)'}: {e['msg']}"
                for e in exc.errors()
            )
            raise UserError(
                f'the refund agent needs a ticket like {{"text": "...", "order_id": '
                f'"ord_12345", "region": "US"}}: {problems}',
                problems=problems,
            ) from None


@dataclass(kw_only=True)
class OfflineBrain:
    """The classifier and retriever, built on first use and kept on this object."""

    document: PolicyDocument
    cache_dir: Path | None = None
    dataset: Path = GOLDEN_PATH
    _classifier: TicketClassifier | None = field(default=None, init=False, repr=False)
    _retriever: PolicyRetriever | None = field(default=None, init=False, repr=False)

    @property
    def classifier(self) -> TicketClassifier:
        """The trained classifier (loaded from the cache, or trained now)."""
        if self._classifier is None:
            self._classifier = TicketClassifier.load_or_train(self.cache_dir, self.dataset)
        return self._classifier

    def classify(self, text: str) -> dict[str, Any]:
        """`{"label", "confidence", "scores"}`."""
        return self.classifier.predict(text)

    def suggest(self, text: str) -> dict[str, Any]:
        """The policy sections most like the ticket, with the policy version."""
        if self._retriever is None:
            self._retriever = PolicyRetriever(document=self.document)
        return self._retriever.suggest(text)


def new_outcome(
    ticket: Ticket, label: str, confidence: float, refusals: list[str]
) -> dict[str, Any]:
    """The outcome skeleton every path fills in."""
    return {
        "ticket_id": ticket.ticket_id,
        "class": label,
        "confidence": confidence,
        "section": None,
        "citations": [],
        "decision": None,
        "order_id": None,
        "amount": None,
        "draft": "",
        "action": "",
        "refused": bool(refusals),
        "refusals": refusals,
    }


def record_outcome(ctx: RunContext, out: dict[str, Any]) -> None:
    """Record the outcome before any write, in the events evaluators read.

    `refund_outcome` carries the whole outcome; `decision`, `citation` and `refusal` follow
    the eval framework's conventions, so a run that ends waiting for approval or escalated
    (with no output) is still judged on what it decided and cited.
    """
    ctx.record("refund_outcome", **out)
    if out["decision"] is not None:
        ctx.record("decision", output=out["decision"], amount=out["amount"])
    for citation in out["citations"]:
        ctx.record("citation", section=citation)
    if out["refused"]:
        ctx.record("refusal", reasons=list(out["refusals"]))


def refuse(out: dict[str, Any], reason: str) -> None:
    """Add a refusal to the outcome."""
    if reason not in out["refusals"]:
        out["refusals"].append(reason)
    out["refused"] = True


def route(ctx: RunContext, out: dict[str, Any]) -> dict[str, Any]:
    """A ticket that is not a refund request: route it, no tool call."""
    team = out["class"]
    out["action"] = f"routed to the {team} queue"
    out["draft"] = reply("routed", quotes=[], refusals=out["refusals"], team=team)
    record_outcome(ctx, out)
    return out


async def reply_with_section(
    ctx: RunContext, ticket: Ticket, out: dict[str, Any], number: str, kind: str
) -> dict[str, Any]:
    """Answer with one approved section and no recommendation (ask for the order, 7.4)."""
    policy = await ctx.call_tool("get_refund_policy", {"region": ticket.region, "section": number})
    citation = f"{section_id(number)}@{policy['policy_version']}"
    out.update(section=section_id(number), citations=[citation])
    out["draft"] = reply(
        kind, quotes=[quote(policy["sections"][0], citation)], refusals=out["refusals"]
    )
    out["action"] = (
        "asked for the order number"
        if kind == "ask_order"
        else "declined: not the customer's order"
    )
    if kind == "third_party":
        refuse(out, "third_party")
    record_outcome(ctx, out)
    return out


async def conclude(ctx: RunContext, out: dict[str, Any], *, rationale: str) -> dict[str, Any]:
    """Escalate, submit or stop, as the decision says (record the outcome before this)."""
    if out["decision"] == "escalate":
        ctx.escalate(f"recommendation: escalate ({rationale})", outcome=out)
    if out["decision"] != "approve":
        out["action"] = "declined; reply drafted for a reviewer"
        return out
    try:
        refund = await ctx.call_tool(
            "submit_refund",
            {
                "order_id": out["order_id"],
                "amount": out["amount"],
                "policy_citation": out["citations"][0],
            },
            reason=f"{rationale} [{out['citations'][0]}]",
        )
    except ToolDenied as exc:
        out["action"] = f"refund not submitted: {exc.message}"
        return out
    out["action"] = f"refund submitted: {refund['refund_id']} (${refund['amount']:.2f})"
    out["draft"] = out["draft"].replace(
        "We have recommended a full refund", "We have issued a full refund", 1
    )
    return out


def offline_workflow(brain: OfflineBrain) -> Any:
    """The static workflow function over `brain` (for `Workflow(name, fn, ...)`)."""

    async def refund_ticket(ctx: RunContext, raw: Any) -> dict[str, Any]:
        """Handle one support ticket with the offline brain."""
        ticket = Ticket.parse(raw)
        ctx.untrusted(ticket.text, source="ticket")
        injected = ctx.tainted
        verdict = await ctx.step("classify_ticket", brain.classify, ticket.text)
        ctx.record("classification", output=verdict["label"], confidence=verdict["confidence"])
        suggestion = await ctx.step("suggest_policy_section", brain.suggest, ticket.text)
        ctx.record("policy_suggestion", **suggestion)
        facts = extract_facts(ticket.text, ticket.order_id)
        refusals = [*facts.refusals, *(["instructions_in_ticket"] if injected else [])]
        out = new_outcome(ticket, verdict["label"], verdict["confidence"], refusals)
        out["suggested_sections"] = [s["section"] for s in suggestion["sections"]]
        if verdict["label"] != "refund":
            return route(ctx, out)
        return await _refund(ctx, brain, ticket, facts, out)

    return refund_ticket


async def _refund(
    ctx: RunContext, brain: OfflineBrain, ticket: Ticket, facts: TicketFacts, out: dict[str, Any]
) -> dict[str, Any]:
    if facts.third_party:
        return await reply_with_section(ctx, ticket, out, "7.4", "third_party")
    if len(facts.order_ids) != 1:
        return await reply_with_section(ctx, ticket, out, "7.3", "ask_order")
    tainted_before = ctx.tainted
    try:
        order = await ctx.call_tool(
            "get_order_summary", {"order_id": facts.order_ids[0], "ticket_id": ticket.ticket_id}
        )
    except SemanticToolError:
        return await reply_with_section(ctx, ticket, out, "7.3", "ask_order")
    if ctx.tainted and not tainted_before:
        refuse(out, "instructions_in_order_data")
    policy = await ctx.call_tool(
        "get_refund_policy", {"region": ticket.region, "product": order["product_names"][0]}
    )
    on = ticket.created_at or dt.date.fromisoformat(await ctx.step("today", _today))
    rec = recommend(order=order, product=policy, region=ticket.region, reason=facts.reason, on=on)
    citation = f"{section_id(rec.section)}@{policy['policy_version']}"
    confidence = round(out["confidence"] * (1.0 if facts.reason != "other" else 0.8), 3)
    order_id = facts.order_ids[0]
    text = _section_text(policy, brain.document, rec.section)
    out.update(
        section=section_id(rec.section),
        citations=[citation],
        decision=rec.decision,
        order_id=order_id,
        amount=rec.amount,
    )
    out["draft"] = reply(
        rec.decision,
        quotes=[quote(text, citation)],
        order_id=order_id,
        amount=rec.amount,
        refusals=out["refusals"],
        apologise=_ANGRY.search(ticket.text) is not None,
    )
    record_outcome(ctx, out)
    await ctx.call_tool(
        "create_refund_recommendation",
        {
            "order_id": order_id,
            "decision": rec.decision,
            "amount": rec.amount,
            "rationale": rec.rationale,
            "citations": [citation],
            "confidence": confidence,
        },
    )
    return await conclude(ctx, out, rationale=rec.rationale)


def _section_text(policy: dict[str, Any], document: PolicyDocument, number: str) -> dict[str, Any]:
    """The section as the tool returned it; else from the approved document itself."""
    for section in policy["sections"]:
        if section["number"] == number:
            return section
    found = document.resolve(number)
    return {"number": number, "text": found.text if found else ""}


def _today() -> str:
    return dt.date.today().isoformat()
