"""`earned traces list|show|export|prune` on real stored runs: tables, trees, JSON, errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from earned.store import Database
from earned.store._audit import AuditLog
from tests.cli_runner import run
from tests.tracing.collector import collector
from tests.tracing.runs import CANARY_EMAIL, Recorded
from tests.tracing.seed import DAY, NOW, seed_run

pytestmark = pytest.mark.slow  # the module's runs go through the durable engine once


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("EARNED_DATABASE_URL", "EARNED_ACTOR", "EARNED_RETENTION_TRACES", "EARNED_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_list_finds_last_weeks_most_expensive_failures(
    recorded: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "traces",
        "list",
        "--since",
        "7d",
        "--status",
        "failed,escalated",
        "--sort",
        "cost",
        "--limit",
        "5",
        "--database",
        recorded.url,
        "--json",
    )
    assert code == 0
    found = json.loads(out)
    assert [(t["run_id"], t["status"]) for t in found] == [
        (recorded.escalated, "escalated"),
        (recorded.failed, "failed"),
    ]
    assert found[0]["cost"] == pytest.approx(0.36)
    assert found[1]["error_type"] == "SemanticToolError"
    code, out, _ = run(
        capsys, "traces", "list", "--tool", "submit_refund", "--database", recorded.url
    )
    assert code == 0
    assert recorded.completed in out
    assert recorded.failed not in out


def test_show_prints_the_tree_with_decisions_fields_and_costs(
    recorded: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "traces", "show", recorded.completed, "--database", recorded.url)
    assert code == 0
    assert f"trace {recorded.completed}" in out
    assert "tool_call get_order" in out
    assert "removed: card_number" in out
    assert "policy allow (small-refunds)" in out
    assert "tokens 120 in / 30 out" in out
    assert "request req-1" in out
    code, out, _ = run(
        capsys, "traces", "show", recorded.completed, "--database", recorded.url, "--json"
    )
    (root,) = json.loads(out)["spans"]
    assert root["kind"] == "run"
    assert [c["kind"] for c in root["children"]].count("tool_call") == 2


def test_export_json_is_the_trace_document_and_is_redacted(
    recorded: Recorded, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "traces", "export", recorded.completed, "--database", recorded.url)
    assert code == 0
    doc = json.loads(out)
    assert (doc["format"], doc["workflow"], doc["status"]) == (
        "earned.trace",
        "refunds",
        "completed",
    )
    assert CANARY_EMAIL not in out
    refund = next(s for s in doc["steps"] if s["name"] == "submit_refund")
    assert refund["tool_args"]["email"] == "<EMAIL_1>"


def test_export_otlp_to_a_file_and_to_a_collector(
    recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "trace.otlp.json"
    code, out, _ = run(
        capsys,
        "traces",
        "export",
        recorded.completed,
        "--format",
        "otlp",
        "--out",
        str(out_file),
        "--database",
        recorded.url,
        "--json",
    )
    assert code == 0
    assert json.loads(out)["out"] == str(out_file)
    data = json.loads(out_file.read_text())
    names = {s["name"] for s in data["resourceSpans"][0]["scopeSpans"][0]["spans"]}
    assert "invoke_agent refunds" in names
    assert CANARY_EMAIL not in out_file.read_text()
    with collector() as received:
        code, out, _ = run(
            capsys,
            "traces",
            "export",
            recorded.completed,
            "--endpoint",
            received.url,
            "--include-content",
            "--database",
            recorded.url,
            "--json",
        )
    assert code == 0
    assert json.loads(out)["spans"] == 8
    assert len(received.spans()) == 8
    assert CANARY_EMAIL.encode() not in b"".join(received.bodies)


def test_prune_deletes_old_traces_and_records_who_did_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with Database(url) as db:
        db.upgrade()
        # seed times count back from a fixed instant; these are a day and ~3 years before now
        seed_run(db, "r_recent", age_days=(NOW - time.time()) / DAY + 1)
        seed_run(db, "r_old", age_days=(NOW - time.time()) / DAY + 1000)
    code, out, _ = run(
        capsys, "traces", "prune", "--older-than", "365d", "--dry-run", "--database", url, "--json"
    )
    assert code == 0
    (dry,) = json.loads(out)["results"]
    assert dry["rows"] == {"earned_runs": 1, "earned_spans": 3}
    assert dry["dry_run"] is True
    monkeypatch.setenv("EARNED_ACTOR", "oncall-bob")
    code, out, _ = run(
        capsys, "traces", "prune", "--older-than", "365d", "--reason", "cleanup", "--database", url
    )
    assert code == 0
    assert "earned_runs 1" in out
    with Database(url) as db:
        (entry,) = AuditLog(db).list(action="retention.prune")
    assert (entry.actor, entry.target, entry.reason) == ("oncall-bob", "traces", "cleanup")
    code, out, _ = run(capsys, "traces", "list", "--database", url, "--json")
    assert [t["run_id"] for t in json.loads(out)] == ["r_recent"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--status", "broken"], "unknown run status 'broken'"),
        (["list", "--since", "last tuesday"], "cannot read --since 'last tuesday'"),
        (["list", "--sort", "price"], "cannot sort traces by 'price'"),
        (["list", "--min-duration", "fast"], "cannot read --min-duration 'fast'"),
        (["show", "run_missing"], "no trace 'run_missing'"),
        (["export", "run_missing", "--format", "xml"], "unknown export format 'xml'"),
        (["prune", "--class", "logs"], "unknown data class 'logs'"),
    ],
)
def test_mistakes_are_explained_without_a_stack_trace(
    recorded: Recorded, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "traces", *args, "--database", recorded.url)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    code, out, _ = run(capsys, "traces", *args, "--database", recorded.url, "--json")
    assert json.loads(out)["error"]["message"].find(message) >= 0
