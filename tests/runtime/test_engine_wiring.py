"""What a launched Engine wires by itself: the daily prune, and OTLP export when asked."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from earned.runtime import Engine, RunContext, Workflow
from earned.store import AuditLog, Database
from earned.tracing import DAILY_PRUNE_NAME
from tests.tracing.collector import collector


async def hello(ctx: RunContext, name: str) -> str:
    return f"hello {name}"


AGENT = Workflow("hello", hello)


@pytest.mark.slow
async def test_the_engine_schedules_the_daily_prune_and_it_is_audited(tmp_path: Path) -> None:
    from dbos import DBOS

    url = f"sqlite:///{tmp_path}/p.db"
    async with Engine([AGENT], database_url=url):
        names = [s["schedule_name"] for s in DBOS.list_schedules()]
        assert DAILY_PRUNE_NAME in names
        handle = DBOS.trigger_schedule(DAILY_PRUNE_NAME)
        results: list[dict[str, Any]] = await asyncio.to_thread(handle.get_result)
    assert sorted(r["data_class"] for r in results) == ["approvals", "ledger", "traces"]
    with Database(url) as db:
        assert {e.actor for e in AuditLog(db).list(action="retention.prune")} == {
            "earned:scheduler"
        }


@pytest.mark.slow
async def test_setting_an_otlp_endpoint_exports_every_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with collector() as received:
        monkeypatch.setenv("EARNED_OTLP_ENDPOINT", f"{received.url}/v1/traces")
        async with Engine([AGENT], database_url=f"sqlite:///{tmp_path}/o.db") as engine:
            result = await engine.run(AGENT, "alice@example.com")
        names = [span.name for span in received.spans()]
    assert result.output == "hello alice@example.com"
    assert "invoke_agent hello" in names
    assert b"alice@example.com" not in b"".join(received.bodies)


async def test_without_an_endpoint_nothing_is_exported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EARNED_OTLP_ENDPOINT", raising=False)
    async with Engine([AGENT], database_url=f"sqlite:///{tmp_path}/n.db") as engine:
        assert engine._exporter is None


def test_dbos_log_lines_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from earned.runtime._durable import _quiet_dbos_logging

    _quiet_dbos_logging()
    logging.getLogger("dbos").error("step failed for alice@example.com, card 4111 1111 1111 1111")
    err = capsys.readouterr().err
    assert "step failed for <EMAIL_1>, card <CARD_1>" in err
    assert "alice@example.com" not in err
