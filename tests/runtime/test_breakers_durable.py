"""Shared breakers in durable runs: one worker's open breaker stops another's run.

The engine runs on DBOS over a SQLite file and the PostgreSQL server; a second `Breakers`
on its own connection to the same database stands for another worker. The CLI lists and
resets the breaker; the Prometheus endpoint exports its state.
"""

from __future__ import annotations

import json

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from earned.cli import main
from earned.guards import Breakers, BreakerSettings
from earned.metrics import prometheus_app
from earned.runtime import Engine
from earned.store import Database
from tests.runtime.test_breakers_in_runs import FAILURES, FLOW, INVOKED

# A long cool-down: the breaker stays open for the whole test, however slow the machine.
SETTINGS = BreakerSettings(minimum_calls=2, failure_rate=0.5, cooldown=3600.0)


@pytest.fixture(autouse=True)
def _reset() -> None:
    INVOKED.clear()
    FAILURES[0] = 0


def gauge(text: str) -> dict[tuple[str, str], float]:
    return {
        (s.labels["breaker"], s.labels["state"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == "earned_breaker_state"
        for s in family.samples
    }


@pytest.mark.slow
async def test_a_durable_run_hits_a_breaker_another_worker_opened_and_escalates(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Engine(
        [FLOW], database_url=database_url, breakers=Breakers(SETTINGS, shared=True)
    ) as engine:
        other_db = Database(database_url)
        other = Breakers(SETTINGS, shared=True, actor="worker-2").bind(other_db)
        breaker = other.get("tool:inventory")
        for _ in range(2):
            breaker.record(breaker.acquire(), "failure")

        result = await engine.run(FLOW, "sku-1")
        assert result.status == "escalated"
        assert result.escalation is not None
        assert result.escalation.kind == "CircuitOpen"
        assert INVOKED == []  # failed fast in this worker, never called

        assert main(["breakers", "--json", "--database", database_url]) == 0
        [row] = json.loads(capsys.readouterr().out)["breakers"]
        assert (row["name"], row["scope"], row["state"], row["updated_by"]) == (
            "tool:inventory",
            "shared",
            "open",
            "worker-2",
        )
        app = prometheus_app(engine.db)  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://earned") as client:
            text = (await client.get("/metrics")).text
        assert gauge(text) == {
            ("tool:inventory", "closed"): 0.0,
            ("tool:inventory", "open"): 1.0,
            ("tool:inventory", "half_open"): 0.0,
        }

        reset = ["breakers", "reset", "tool:inventory", "--reason", "upstream fixed"]
        code = main([*reset, "--as", "oncall", "--database", database_url])
        assert code == 0
        assert "tool:inventory is now closed" in capsys.readouterr().out
        again = await engine.run(FLOW, "sku-2")
        assert again.status == "completed", again
        assert INVOKED == ["sku-2"]
        other_db.close()
