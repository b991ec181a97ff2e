"""Workers SIGKILLed at random, also while runs wait for approval: nothing duplicated or lost."""

from __future__ import annotations

import pytest

from earned.chaos import ChaosReport, run_chaos


def check(report: ChaosReport, runs: int, kills: int) -> None:
    assert report.duplicate_side_effects == 0
    assert report.lost_runs == 0
    assert report.lost_approvals == 0
    assert report.double_consumed_approvals == 0
    assert report.unapproved_side_effects == 0
    assert report.ok
    assert report.kills == kills
    assert report.kills_while_waiting >= 1
    assert sum(report.runs_by_status.values()) == runs
    assert report.approvals_decided >= 1
    assert report.side_effects == report.ledger.get("committed", 0) + report.ledger.get(
        "reconciled", 0
    )


@pytest.mark.slow
def test_chaos_on_sqlite_with_one_worker(tmp_path: pytest.TempPathFactory) -> None:
    report = run_chaos(
        "earned.chaos:TARGET",
        runs=30,
        kills=5,
        workers=1,
        seed=11,
        database_url=f"sqlite:///{tmp_path}/chaos.db",
        timeout=300,
    )
    check(report, 30, 5)


@pytest.mark.slow
@pytest.mark.postgres
def test_chaos_on_postgres_with_two_workers(postgres_database: str) -> None:
    report = run_chaos(
        "earned.chaos:TARGET",
        runs=40,
        kills=6,
        workers=2,
        seed=12,
        database_url=postgres_database,
        timeout=300,
    )
    check(report, 40, 6)


def test_a_target_that_is_not_one_is_refused() -> None:
    from earned.chaos import load_target
    from earned.errors import UserError

    with pytest.raises(UserError, match="is not a ChaosTarget"):
        load_target("earned.demo:build_agent")
