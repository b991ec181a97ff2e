"""Fixtures for shadow and replay: the refund example's orders, one trained classifier, and
runs recorded durably on the engine (SQLite and PostgreSQL) with real approval decisions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from examples.refund_agent.brain.classifier import TicketClassifier
from examples.refund_agent.orders import OrderDatabase

from earned.runtime import Agent, Engine
from earned.store import Database

GOLDEN = Path(__file__).resolve().parents[2] / "examples/refund_agent/datasets/golden.jsonl"

#: decide(index, approval) -> None (leave it waiting), ("approve", None), ("edit", arguments)
#: or ("reject", reason)
Decide = Callable[[int, Any], tuple[str, Any] | None]


@pytest.fixture(scope="session")
def classifier_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's classifier, trained once for the session."""
    cache = tmp_path_factory.mktemp("replay_classifier")
    TicketClassifier.load_or_train(cache)
    return cache


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, classifier_cache: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EARNED_TEST_ORDERS", str(tmp_path / "orders.db"))
    monkeypatch.setenv("EARNED_TEST_CLASSIFIER_CACHE", str(classifier_cache))
    monkeypatch.setenv("EARNED_TEST_EFFECTS", str(tmp_path / "effects.jsonl"))
    monkeypatch.setenv("EARNED_DATA_KEY_FILE", str(tmp_path / "data.key"))
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def orders(tmp_path: Path) -> OrderDatabase:
    """The example's order database (the committed orders), fresh for each test."""
    return OrderDatabase(tmp_path / "orders.db")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The project database, migrated."""
    database = Database(database_url)
    database.upgrade()
    yield database
    database.close()


def golden(*, decision: str | None = None, split: str = "test") -> list[dict[str, Any]]:
    """Golden cases of one split (and one expected decision)."""
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line]
    return [
        r
        for r in rows
        if r["split"] == split and (decision is None or r["expected_decision"] == decision)
    ]


async def record(
    database_url: str,
    agent: Agent,
    inputs: Sequence[Any],
    *,
    decide: Decide | None = None,
    stage: str | None = None,
) -> list[str]:
    """Run each input durably on the engine; a human decides each approval it asks for."""
    run_ids: list[str] = []
    async with Engine([agent], database_url=database_url, monitor=False) as engine:
        for index, data in enumerate(inputs):
            handle = await engine.start(agent, data, stage=stage)
            settled = await engine.settle(handle.run_id, timeout=120)
            if settled.status == "waiting_approval":
                (pending,) = engine.approvals.list(run_id=handle.run_id, status="pending")
                verdict = decide(index, pending) if decide is not None else None
                if verdict is None:
                    run_ids.append(handle.run_id)
                    continue
                _apply(engine, pending, verdict)
            await handle.result()
            run_ids.append(handle.run_id)
    return run_ids


def _apply(engine: Engine, pending: Any, verdict: tuple[str, Any]) -> None:
    kind, value = verdict
    who = {"actor": "rita", "role": "reviewer"}
    if kind == "approve":
        engine.approvals.approve(pending.approval_id, **who)
    elif kind == "edit":
        engine.approvals.approve(pending.approval_id, arguments=value, reason="partial", **who)
    else:
        engine.approvals.reject(pending.approval_id, reason=value, **who)
