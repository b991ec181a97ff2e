"""`earned review list|export|sample|fatigue` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from earned.evals import load_dataset
from earned.review import ReviewQueue
from earned.store import Database
from tests.cli_runner import run
from tests.review.seed import seed_approval, seed_run


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    url = f"sqlite:///{tmp_path / 'review.db'}"
    monkeypatch.setenv("EARNED_DATABASE_URL", url)
    db = Database(url)
    db.upgrade()
    return db


def test_list_shows_the_queue_in_order(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_run(database, "d1", stage="assist")
    seed_approval(database, "a1")
    code, out, _ = run(capsys, "review", "list", "--json")
    assert code == 0
    assert [i["item_id"] for i in json.loads(out)] == ["apr_a1", "drf_d1"]
    code, out, _ = run(capsys, "review", "list")
    assert "2 item(s) to review" in out
    assert "submit_refund(order_id='ord_1', amount=40.0)" in out


def test_export_writes_a_dataset_eval_reads(
    database: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seed_run(database, "d1", stage="assist")
    ReviewQueue(database).decide("drf_d1", action="reject", reason_code="missing_data",
                                 note="the order had two items", reviewer="bob",
                                 role="reviewer")  # fmt: skip
    out_file = tmp_path / "gaps.jsonl"
    code, out, _ = run(capsys, "review", "export", "--reason", "missing_data", "--out",
                       str(out_file), "--json")  # fmt: skip
    assert (code, json.loads(out)["cases"]) == (0, 1)
    [case] = load_dataset(out_file)
    assert case.metadata["note"] == "the order had two items"
    code, out, _ = run(capsys, "review", "export", "--dataset", "retrieval_gaps")
    assert json.loads(out.splitlines()[0])["metadata"]["run_id"] == "d1"
    code, out, _ = run(capsys, "review", "export", "--json")
    assert code == 2
    assert "--reason" in json.loads(out)["error"]["fix"]


def test_sample_and_fatigue(database: Database, capsys: pytest.CaptureFixture[str]) -> None:
    seed_run(database, "auto", stage="autonomous", created_at=1_800_000_000.0)
    code, out, _ = run(capsys, "review", "sample", "--week", "2027-W02", "--size", "30",
                       "--seed", "5", "--json")  # fmt: skip
    assert (code, json.loads(out)["sampled"]) == (0, ["aud_auto"])
    code, out, _ = run(capsys, "review", "sample", "--week", "2027-W02")
    assert "1 of 1 autonomous run(s) sampled, 0 flagged; 0 new item(s)" in out
    code, out, _ = run(capsys, "review", "fatigue", "--json")
    assert (code, json.loads(out)["flagged"]) == (0, [])
