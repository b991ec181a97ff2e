"""The automatic daily prune as a DBOS scheduled workflow, on a launched Engine.

This wires `daily_prune` the way the Engine does: a DBOS workflow named
`DAILY_PRUNE_NAME`, registered before launch and scheduled with `DBOS.apply_schedules`;
the test then triggers the schedule instead of waiting for 03:17 UTC.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS

from earned.runtime import Engine
from earned.runtime._durable import DurableSteps
from earned.store import Database
from earned.store._audit import AuditLog
from earned.tracing import DAILY_PRUNE_NAME, DAILY_PRUNE_SCHEDULE, daily_prune
from tests.tracing.seed import DAY, NOW, seed_run

pytestmark = pytest.mark.slow

_URL: list[str] = []


async def _scheduled(scheduled_at: dt.datetime, context: Any) -> list[dict[str, Any]]:
    return await daily_prune(_URL[0], DurableSteps())


_WORKFLOW = DBOS.workflow(name=f"{DAILY_PRUNE_NAME}.test")(_scheduled)


async def test_the_daily_prune_runs_as_a_scheduled_workflow_and_is_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'earned.db'}"
    _URL[:] = [url]
    monkeypatch.setenv("EARNED_RETENTION_TRACES", "30d")
    monkeypatch.chdir(tmp_path)
    with Database(url) as db:
        db.upgrade()
        seed_run(db, "r_old", age_days=(NOW - time.time()) / DAY + 45)
        seed_run(db, "r_new", age_days=(NOW - time.time()) / DAY + 1)
    async with Engine([], database_url=url):
        DBOS.apply_schedules(
            [
                {
                    "schedule_name": DAILY_PRUNE_NAME,
                    "workflow_fn": _WORKFLOW,
                    "schedule": DAILY_PRUNE_SCHEDULE,
                    "context": None,
                }
            ]
        )
        (schedule,) = [s for s in DBOS.list_schedules() if s["schedule_name"] == DAILY_PRUNE_NAME]
        assert schedule["schedule"] == "17 3 * * *"
        handle = DBOS.trigger_schedule(DAILY_PRUNE_NAME)
        results = await asyncio.to_thread(handle.get_result)
    by_class = {r["data_class"]: r for r in results}
    assert by_class["traces"]["rows"] == {"earned_spans": 3, "earned_runs": 1}
    with Database(url) as db:
        entries = AuditLog(db).list(action="retention.prune")
        assert {e.actor for e in entries} == {"earned:scheduler"}
        assert sorted(e.target for e in entries) == ["approvals", "ledger", "traces"]
