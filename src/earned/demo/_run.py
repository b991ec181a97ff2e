"""Run the demo tickets through the durable engine and summarise what happened."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from earned.approvals import ApprovalRequest
from earned.config import Settings
from earned.demo._agent import build_agent
from earned.demo._tickets import TICKETS
from earned.rollout import Stage
from earned.runtime import Engine, Principal

__all__ = ["DEMO_USER", "DemoSummary", "run_demo"]

#: Who the demo's runs act for.
DEMO_USER = Principal(user="demo", role="operator", tenant="demo")


@dataclass(kw_only=True)
class DemoSummary:
    """What the demo did: one row per ticket, counts by status, where it is stored."""

    database_url: str
    stage: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def by_status(self) -> dict[str, int]:
        """How many runs ended in (or wait at) each status."""
        return dict(Counter(row["status"] for row in self.rows))

    @property
    def waiting(self) -> list[dict[str, Any]]:
        """Rows of runs waiting for a human's approval."""
        return [row for row in self.rows if row["status"] == "waiting_approval"]

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary."""
        return {
            "database_url": self.database_url,
            "stage": self.stage,
            "runs_by_status": self.by_status,
            "approvals_waiting": [row["approval_id"] for row in self.waiting],
            "runs": self.rows,
        }


def _row(ticket: dict[str, Any], record: Any, waiting: ApprovalRequest | None) -> dict[str, Any]:
    output = record.output if isinstance(record.output, dict) else {}
    escalation = record.escalation or {}
    if waiting is not None:
        outcome = f"waiting for a {' or '.join(waiting.approvers)}: {waiting.summary}"
        rules = [waiting.rule_id]
    else:
        outcome = (
            output.get("action")
            or escalation.get("reason")
            or (record.error or {}).get("message", "")
        )
        rules = [d["rule_id"] for d in record.decisions or []]
    return {
        "ticket_id": ticket["ticket_id"],
        "shows": ticket["shows"],
        "run_id": record.run_id,
        "status": record.status,
        "class": output.get("class"),
        "outcome": outcome,
        "rules": rules,
        # a waiting run's record is written at its end; its approval says why it waits
        "tainted": bool(record.tainted)
        or (waiting is not None and waiting.rule_id == "tainted-run"),
        "approval_id": waiting.approval_id if waiting is not None else None,
    }


async def run_demo(
    *, database_url: str | None = None, stage: Stage = Stage.CONDITIONAL_AUTO
) -> DemoSummary:
    """Run every demo ticket at `stage`; runs that need a human are left waiting."""
    settings = Settings.load(database_url=database_url)
    agent = build_agent()
    summary = DemoSummary(database_url=settings.database_url, stage=stage.value)
    async with Engine([agent], database_url=settings.database_url) as engine:
        handles = [
            await engine.start(agent, ticket, stage=stage.value, principal=DEMO_USER)
            for ticket in TICKETS
        ]
        for ticket, handle in zip(TICKETS, handles, strict=True):
            record = await engine.settle(handle.run_id)
            waiting = None
            if record.status == "waiting_approval":
                waiting = engine.approvals.list(run_id=handle.run_id)[0]
            summary.rows.append(_row(ticket, record, waiting))
    return summary
