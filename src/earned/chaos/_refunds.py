"""The built-in chaos target: a refund workflow whose writes land in an external table.

Each run reads an order, writes a note, issues a refund (over $50 needs a reviewer; up to
$50 runs unattended), and writes a closing note. Every real execution of a write inserts a
row into `chaos_side_effects` (a table earned never touches); the reconcile checks look it
up by idempotency key, as a payment provider's API would.
"""

from __future__ import annotations

import random
import time
from typing import Any

import sqlalchemy as sa

from earned.approvals import ApprovalRequest
from earned.chaos._target import Verdict
from earned.errors import ToolDenied, UserError
from earned.policy import Policy, Rule
from earned.runtime import Principal, RunContext, Workflow
from earned.tools import ToolContext, tool

__all__ = ["TARGET", "RefundChaosTarget"]

_EFFECTS = sa.Table(
    "chaos_side_effects",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("idempotency_key", sa.String, nullable=False, index=True),
    sa.Column("tool", sa.String, nullable=False),
    sa.Column("run_id", sa.String, nullable=False),
    sa.Column("amount", sa.Float),
    sa.Column("at", sa.Float, nullable=False),
)


class RefundChaosTarget:
    """See the module docstring; `TARGET` is the instance `earned chaos` uses by default."""

    def __init__(self) -> None:
        self._engine: sa.Engine | None = None
        self.agent = self._build_agent()

    # -- the external system --------------------------------------------------------------

    def prepare(self, database_url: str, *, reset: bool) -> None:
        """Connect to the side-effect table in `database_url` (emptied with `reset`)."""
        url = sa.make_url(database_url)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        kwargs: dict[str, Any] = (
            {"connect_args": {"timeout": 30}} if url.drivername.startswith("sqlite") else {}
        )
        self._engine = sa.create_engine(url, **kwargs)
        if reset:
            _EFFECTS.metadata.drop_all(self._engine)
        _EFFECTS.metadata.create_all(self._engine)

    def _db(self) -> sa.Engine:
        if self._engine is None:
            raise UserError("the chaos target is not prepared: call prepare(database_url)")
        return self._engine

    def _record(self, ctx: ToolContext, amount: float | None) -> None:
        time.sleep(random.uniform(0, 0.03))  # widen the window a kill can land in
        with self._db().begin() as conn:
            conn.execute(
                sa.insert(_EFFECTS).values(
                    idempotency_key=ctx.idempotency_key,
                    tool=ctx.tool,
                    run_id=ctx.run_id,
                    amount=amount,
                    at=time.time(),
                )
            )

    def _find(self, ctx: ToolContext) -> dict[str, Any] | None:
        with self._db().connect() as conn:
            row = (
                conn.execute(
                    sa.select(_EFFECTS).where(_EFFECTS.c.idempotency_key == ctx.idempotency_key)
                )
                .mappings()
                .first()
            )
        return None if row is None else {"effect": row["tool"], "amount": row["amount"]}

    def side_effects(self) -> list[str]:
        """One idempotency key per real execution."""
        with self._db().connect() as conn:
            return [r[0] for r in conn.execute(sa.select(_EFFECTS.c.idempotency_key))]

    # -- the agent ------------------------------------------------------------------------

    def _build_agent(self) -> Workflow:
        target = self

        @tool(risk="read")
        def lookup_order(order_id: str) -> dict[str, Any]:
            """Read an order."""
            return {"order_id": order_id, "status": "delivered"}

        @tool(risk="internal_write")
        def add_note(ctx: ToolContext, order_id: str, text: str) -> dict[str, Any]:
            """Add an internal note to the order."""
            target._record(ctx, None)
            return {"effect": "add_note", "amount": None}

        @tool(risk="irreversible")
        def issue_refund(ctx: ToolContext, order_id: str, amount: float) -> dict[str, Any]:
            """Refund the customer. Irreversible."""
            target._record(ctx, amount)
            return {"effect": "issue_refund", "amount": amount}

        add_note.reconciler(lambda ctx, order_id, text: target._find(ctx))
        issue_refund.reconciler(lambda ctx, order_id, amount: target._find(ctx))
        policy = Policy(
            [
                Rule.build("reads", "allow", tools=["lookup_order"]),
                Rule.build("notes", "allow", tools=["add_note"]),
                Rule.build(
                    "small",
                    "allow",
                    tools=["issue_refund"],
                    when={"amount": {"lte": 50}},
                    approval_waived=True,
                ),
                Rule.build("refunds", "allow", tools=["issue_refund"], approvers=["reviewer"]),
            ],
            name="chaos-refunds",
        )

        async def refund(ctx: RunContext, ticket: dict[str, Any]) -> dict[str, Any]:
            order_id = ticket["order_id"]
            await ctx.call_tool("lookup_order", {"order_id": order_id})
            await ctx.call_tool("add_note", {"order_id": order_id, "text": "refund requested"})
            try:
                await ctx.call_tool(
                    "issue_refund", {"order_id": order_id, "amount": ticket["amount"]}
                )
                outcome = "refunded"
            except ToolDenied as exc:  # a reviewer said no: note it and go on
                outcome = f"not refunded: {exc.message}"
            await ctx.call_tool("add_note", {"order_id": order_id, "text": outcome})
            return {"order_id": order_id, "outcome": outcome}

        return Workflow(
            "chaos_refunds", refund, tools=[lookup_order, add_note, issue_refund], policy=policy
        )

    # -- the harness's hooks --------------------------------------------------------------

    def inputs(self, count: int, rng: random.Random) -> list[tuple[Any, Principal]]:
        """Orders with amounts from $5 to $200 (about 60% need approval), four tenants."""
        return [
            (
                {"order_id": f"ord_{i:05d}", "amount": round(rng.uniform(5, 200), 2)},
                Principal(user=f"customer{i}", role="operator", tenant=f"t{i % 4}"),
            )
            for i in range(count)
        ]

    def decide(self, approval: ApprovalRequest, waited: float, rng: random.Random) -> Verdict:
        """Look at each request after its own short wait (0.3-2 s); approve most, reject some."""
        patience = 0.3 + int(approval.approval_id[-4:], 16) % 1700 / 1000
        if waited < patience:
            return "wait"
        return "reject" if rng.random() < 0.15 else "approve"


TARGET = RefundChaosTarget()
