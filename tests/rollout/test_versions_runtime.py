"""Pinned versions in real runs: a pin changes the next run's prompt and model, a rollback
changes it back without restarting the engine, a canary serves its share, and a recovered
run keeps the versions it chose before the crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from earned.rollout import VersionStore, compare_versions
from earned.runtime import Engine, Principal
from tests.rollout.versions_agents import (
    CAPABILITY,
    PROMPT_V1,
    PROMPT_V2,
    registry,
    triage_agent,
)

ROOT = Path(__file__).resolve().parents[2]


def _store(engine: Engine) -> VersionStore:
    assert engine.db is not None
    return VersionStore(engine.db)


@pytest.mark.slow
async def test_a_pin_changes_the_next_runs_prompt_and_model_and_a_rollback_undoes_it(
    database_url: str,
) -> None:
    agent = triage_agent()
    async with Engine([agent], database_url=database_url, registry=registry()) as engine:
        store = _store(engine)
        seen = {v.kind: v for v in store.list(name=agent.name)}
        assert set(seen) == {"prompt", "model", "agent", "policy"}  # no tools: none recorded
        assert all(v.author == "earned" and v.message == "seen at launch" for v in seen.values())
        assert seen["prompt"].content == PROMPT_V1

        before = await engine.run(agent, "my order is late")
        assert before.output == f"{PROMPT_V1} | test:small"
        assert "variant" not in before.versions  # nothing pinned: the agent's own versions

        v2 = store.record("prompt", agent.name, PROMPT_V2, author="alice", message="cite")
        large = store.record("model", agent.name, "test:large", author="alice", message="bigger")
        store.pin(CAPABILITY, "prompt", v2.short, actor="alice", reason="citations")
        store.pin(CAPABILITY, "model", large.short, actor="alice", reason="quality")

        pinned = await engine.run(agent, "my order is late")
        assert pinned.output == f"{PROMPT_V2} | test:large"
        assert pinned.versions["prompt"] == f"sha256:{v2.short}"
        assert pinned.versions["model"] == "test:large"
        assert pinned.versions["variant"] == "pinned"
        assert pinned.versions["pins"] == f"model:{large.short},prompt:{v2.short}"
        record = engine.runs.get(pinned.run_id)
        assert record is not None
        assert record.versions == pinned.versions
        engine.spans.flush()
        spans = engine.spans.spans(pinned.run_id)
        assert spans[0].attributes["versions"]["prompt"] == f"sha256:{v2.short}"
        call = next(s for s in spans if s.kind == "model_call")
        assert (call.attributes["model"], call.attributes["prompt_version"]) == (
            "test:large",
            f"sha256:{v2.short}",
        )

        started = time.perf_counter()
        store.rollback(CAPABILITY, "prompt", actor="bob", reason="v2 refuses too often")
        after = await engine.run(agent, "my order is late")
        applied_in = time.perf_counter() - started
        assert (
            after.output == f"{PROMPT_V1} | test:large"
        )  # the prompt pin is gone, not the model's
        assert "prompt" not in after.versions["pins"]
    # The rollback applied to the very next run: the time is the rollback plus one run.
    print(f"rollback applied to the next run within {applied_in * 1000:.0f} ms")


@pytest.mark.slow
async def test_a_canary_serves_its_tenants_and_compare_shows_both_side_by_side(
    database_url: str,
) -> None:
    agent = triage_agent()
    async with Engine([agent], database_url=database_url, registry=registry()) as engine:
        store = _store(engine)
        small = next(v for v in store.list(kind="model", name=agent.name))
        broken = store.record("model", agent.name, "test:broken", author="alice", message="new")
        store.pin(CAPABILITY, "model", small.short, actor="alice", reason="baseline")
        store.canary(CAPABILITY, "model", broken.short, 50, actor="alice", reason="try it")

        results = [
            await engine.run(agent, "hello", principal=Principal(tenant=f"t{i}")) for i in range(12)
        ]
        canary = [r for r in results if r.versions["variant"] == "canary"]
        pinned = [r for r in results if r.versions["variant"] == "pinned"]
        assert canary
        assert pinned
        assert {r.status for r in canary} == {"escalated"}  # the broken model fails
        assert {r.output for r in pinned} == {f"{PROMPT_V1} | test:small"}
        again = await engine.run(agent, "hi", principal=canary[0].principal)
        assert again.versions["variant"] == "canary"  # sticky by tenant

        assert engine.db is not None
        report = compare_versions(engine.db, CAPABILITY, window=3600)
        arms = {a.arm: a for a in report.arms}
        assert set(arms) == {"pinned", "canary"}
        assert (arms["pinned"].runs, arms["canary"].runs) == (len(pinned), len(canary) + 1)
        assert (arms["pinned"].completion_rate, arms["canary"].completion_rate) == (1.0, 0.0)
        assert arms["canary"].escalation_rate == 1.0
        assert arms["pinned"].latency_p95 is not None

        store.rollback(CAPABILITY, "model", actor="bob", reason="the canary escalates")
        after = await engine.run(agent, "hi", principal=canary[0].principal)
        assert (after.status, after.versions["variant"]) == ("completed", "pinned")


def _run(mode: str, database_url: str, run_id: str, log: Path, crash: bool) -> Any:
    env = {
        **os.environ,
        "EARNED_PROMPT_LOG": str(log),
        "EARNED_CRASH_BETWEEN": "1" if crash else "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "tests.rollout.versions_agents", mode, database_url, run_id],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _prompts(log: Path) -> list[str]:
    return [json.loads(line)["prompt"] for line in log.read_text().splitlines()]


@pytest.mark.slow
def test_a_recovered_run_keeps_the_versions_it_chose_before_the_crash(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "prompts.log"
    killed = _run("start", database_url, "run_versions_1", log, crash=True)
    assert killed.returncode == -9, killed.stderr
    assert _prompts(log) == [PROMPT_V2]  # the first call used the pinned prompt, then: killed

    from earned.store import Database

    db = Database(database_url)
    try:
        VersionStore(db).rollback(CAPABILITY, "prompt", actor="bob", reason="while it was down")
    finally:
        db.close()

    recovered = _run("recover", database_url, "run_versions_1", log, crash=False)
    assert recovered.returncode == 0, recovered.stderr
    result = json.loads(recovered.stdout.strip().splitlines()[-1])
    assert result["status"] == "completed"
    assert result["output"] == {"first": f"{PROMPT_V2} | test:small"} | {
        "second": f"{PROMPT_V2} | test:small"
    }
    assert _prompts(log) == [PROMPT_V2, PROMPT_V2]  # the recovered call kept v2

    fresh = _run("fresh", database_url, "run_versions_2", log, crash=False)
    assert fresh.returncode == 0, fresh.stderr
    assert _prompts(log)[2:] == [PROMPT_V1, PROMPT_V1]  # a new run sees the rollback
