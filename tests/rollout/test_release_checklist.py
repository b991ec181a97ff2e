"""The release checklist is data: seed 000's and seed 004's items, a team's own, attestations.

An automated item names its check; an attestation item passes on a person's recent word,
which goes stale when the capability changes stage or grows too old.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from earned.errors import UserError
from earned.rollout import (
    ChecklistError,
    Outcome,
    ReleaseContext,
    RolloutStore,
    attest,
    checklist_for,
    load_checklist,
    release_check,
)
from earned.rollout._checklist import default_checklist
from earned.rollout._release import BUILTIN_CHECKS
from earned.stages import Stage
from earned.store import AuditLog, Database
from tests.rollout.release_support import shop_agent, write_matrix

SEED_000 = [
    "owner",
    "matrix_updated",
    "prompt_pinned",
    "model_pinned",
    "tool_schemas_tested",
    "tool_schemas_reviewed",
    "permissions_in_code",
    "eval_thresholds_first",
    "regression_tests_pass",
    "injection_tests_pass",
    "trace_coverage",
    "reviewer_feedback",
    "rollback_flags",
    "dashboards",
    "teams_informed",
    "next_review",
]
SEED_004 = [
    "scope_and_risk",
    "approval_high_impact",
    "least_privilege",
    "idempotency",
    "observability_fields",
    "pii_sanitized",
    "replay_real_transcripts",
    "reliability_policy",
    "runbooks_rollback_tested",
    "ownership_escalation",
]
T0 = 1_900_000_000.0


def test_the_shipped_checklist_holds_both_seeds_checklists_in_order() -> None:
    items = list(default_checklist())
    assert [i.id for i in items if i.source == "seed 000"] == SEED_000
    assert [i.id for i in items if i.source == "seed 004"] == SEED_004
    for item in items:
        if item.kind == "automated":
            assert item.check in BUILTIN_CHECKS, item.id
            BUILTIN_CHECKS[item.check][1].model_validate(item.params)
        else:
            assert item.check is None
            assert not item.params
    attested = [i.id for i in items if i.kind == "attestation"]
    assert attested == [
        "tool_schemas_reviewed",
        "teams_informed",
        "replay_real_transcripts",
        "runbooks_rollback_tested",
        "ownership_escalation",
    ]


def test_a_team_file_adds_items_and_replaces_items_by_id(tmp_path: Path) -> None:
    team = tmp_path / "team.yaml"
    team.write_text(
        "version: 1\nitems:\n"
        "  - id: legal_signoff\n    text: Legal reviewed the wording.\n"
        "    source: team\n    kind: attestation\n    max_age_days: 30\n"
        "  - id: trace_coverage\n    text: Traces cover every call.\n    source: seed 000\n"
        "    kind: automated\n    check: check_trace_coverage\n    params: {runs: 200}\n"
    )
    checklist = load_checklist(team)
    ids = [i.id for i in checklist]
    assert ids[-1] == "legal_signoff"
    assert len(ids) == len(SEED_000) + len(SEED_004) + 1
    assert checklist.get("trace_coverage").params == {"runs": 200}
    assert ids.index("trace_coverage") == SEED_000.index("trace_coverage")  # replaced in place


def test_a_release_yaml_next_to_the_matrix_is_read(tmp_path: Path) -> None:
    matrix = write_matrix(tmp_path)
    (tmp_path / "release.yaml").write_text(
        "version: 1\nitems:\n  - id: legal_signoff\n    text: Legal reviewed it.\n"
        "    source: team\n    kind: attestation\n"
    )
    assert "legal_signoff" in [i.id for i in checklist_for(matrix)]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("version: 1\nitems: []\n", "`items` must be a non-empty list"),
        ("version: 9\nitems: [{}]\n", "unsupported checklist format version 9"),
        (
            "version: 1\nitems:\n  - id: x\n    text: t\n    source: s\n    kind: automated\n",
            "names its `check`",
        ),
        (
            "version: 1\nitems:\n  - id: x\n    text: t\n    source: s\n    kind: attestation\n"
            "    check: check_owner\n",
            "has no `check`",
        ),
        (
            "version: 1\nitems:\n  - id: x\n    text: t\n    source: s\n    kind: manual\n",
            "kind",
        ),
        (
            "version: 1\nitems:\n  - id: x\n    txt: t\n",
            "unknown key 'txt'",
        ),
    ],
)
def test_a_bad_checklist_file_names_its_line_and_the_fix(
    tmp_path: Path, text: str, words: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ChecklistError) as caught:
        load_checklist(path)
    assert words in caught.value.message
    assert caught.value.details["path"] == str(path)


def _team_item(tmp_path: Path, check: str, params: str = "{}") -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(
        f"version: 1\nitems:\n  - id: custom\n    text: A team check.\n    source: team\n"
        f"    kind: automated\n    check: {check}\n    params: {params}\n"
    )
    return path


def test_unknown_checks_and_bad_params_are_refused_before_anything_runs(
    db: Database, tmp_path: Path
) -> None:
    matrix = write_matrix(tmp_path)
    with pytest.raises(ChecklistError, match="unknown check 'check_nothing'"):
        release_check(
            db, matrix, "notes", checklist=load_checklist(_team_item(tmp_path, "check_nothing"))
        )
    bad = _team_item(tmp_path, "check_trace_coverage", "{runs: 0}")
    with pytest.raises(ChecklistError, match=r"params\.runs"):
        release_check(db, matrix, "notes", checklist=load_checklist(bad))
    with pytest.raises(UserError, match="no capability 'nope'"):
        release_check(db, matrix, "nope")


def team_check(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """A team's own check: the capability is owned by the backend engineers."""
    if ctx.spec.owner == params["owner"]:
        return Outcome.ok(f"owned by {params['owner']}")
    return Outcome.fail(f"owned by {ctx.spec.owner}", f"hand it to {params['owner']}")


def crashing_check(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    raise RuntimeError("boom")


def test_a_team_check_by_module_and_function_runs_with_its_params(
    db: Database, tmp_path: Path
) -> None:
    matrix = write_matrix(tmp_path)
    ref = "tests.rollout.test_release_checklist:team_check"
    passing = load_checklist(_team_item(tmp_path, ref, "{owner: Backend engineer}"))
    assert release_check(db, matrix, "notes", checklist=passing).get("custom").passed
    failing = load_checklist(_team_item(tmp_path, ref, "{owner: Finance}"))
    item = release_check(db, matrix, "notes", checklist=failing).get("custom")
    assert (item.status, item.evidence, item.fix) == (
        "fail",
        "owned by Backend engineer",
        "hand it to Finance",
    )
    crashing = load_checklist(
        _team_item(tmp_path, "tests.rollout.test_release_checklist:crashing_check")
    )
    item = release_check(db, matrix, "notes", checklist=crashing).get("custom")
    assert item.status == "fail"
    assert item.evidence == "the check crashed: RuntimeError: boom"


def _status(db: Database, matrix: Any, item: str, now: float) -> Any:
    return release_check(db, matrix, "notes", agents=[shop_agent()], clock=lambda: now).get(item)


def test_an_attestation_item_is_missing_then_passes_then_goes_stale_with_age(
    db: Database, tmp_path: Path
) -> None:
    matrix = write_matrix(tmp_path)
    first = _status(db, matrix, "teams_informed", T0)
    assert first.status == "missing_attestation"
    assert first.fix == 'check it, then `earned release attest notes teams_informed --note "..."`'
    attest(
        db,
        matrix,
        "notes",
        "teams_informed",
        note="Support leads briefed on the notes panel",
        actor="ana",
        clock=lambda: T0,
    )
    fresh = _status(db, matrix, "teams_informed", T0 + 86_400)
    assert fresh.status == "pass"
    assert fresh.evidence.startswith("ana ")
    assert "Support leads briefed" in fresh.evidence
    assert fresh.attestation is not None
    assert fresh.attestation.attested_by == "ana"
    # teams_informed counts 30 days (its own max_age_days), other items the default 90
    old = _status(db, matrix, "teams_informed", T0 + 31 * 86_400)
    assert old.status == "stale"
    assert "31 days old, more than 30" in old.evidence


def test_an_attestation_made_before_the_last_stage_change_is_stale(
    db: Database, tmp_path: Path
) -> None:
    matrix = write_matrix(tmp_path)
    RolloutStore(db, clock=lambda: T0).ensure(matrix)
    attest(
        db,
        matrix,
        "notes",
        "ownership_escalation",
        note="on-call rota",
        actor="ana",
        clock=lambda: T0 + 10,
    )
    assert _status(db, matrix, "ownership_escalation", T0 + 20).status == "pass"
    RolloutStore(db, clock=lambda: T0 + 30).set_stage(
        "notes", Stage.APPROVAL_REQUIRED, actor="bo", reason="promote"
    )
    stale = _status(db, matrix, "ownership_escalation", T0 + 40)
    assert stale.status == "stale"
    assert "made before notes moved to approval_required" in stale.evidence
    attest(
        db,
        matrix,
        "notes",
        "ownership_escalation",
        note="rota re-checked",
        actor="ana",
        clock=lambda: T0 + 50,
    )
    assert _status(db, matrix, "ownership_escalation", T0 + 60).status == "pass"


def test_attesting_is_audited_and_refused_for_automated_or_unknown_items(
    db: Database, tmp_path: Path
) -> None:
    matrix = write_matrix(tmp_path)
    found = attest(db, matrix, "notes", "teams_informed", note="briefed", actor="ana")
    (entry,) = AuditLog(db).list(action="release.attest")
    assert (entry.actor, entry.target, entry.after) == (
        "ana",
        "notes",
        {"item": "teams_informed", "note": "briefed"},
    )
    assert entry.details == {"item": "teams_informed", "attestation_id": found.attestation_id}
    with pytest.raises(ChecklistError, match="checked automatically"):
        attest(db, matrix, "notes", "trace_coverage", note="trust me", actor="ana")
    with pytest.raises(ChecklistError, match="no checklist item 'bogus'"):
        attest(db, matrix, "notes", "bogus", note="x", actor="ana")
    with pytest.raises(UserError, match="a note"):
        attest(db, matrix, "notes", "teams_informed", note="  ", actor="ana")
    with pytest.raises(UserError, match="no capability 'nope'"):
        attest(db, matrix, "nope", "teams_informed", note="x", actor="ana")
    assert len(AuditLog(db).list(action="release.attest")) == 1


def test_the_report_lists_every_item_with_source_kind_status_evidence_and_fix(
    db: Database, tmp_path: Path
) -> None:
    matrix = write_matrix(tmp_path)
    report = release_check(db, matrix, "notes", agents=[shop_agent()])
    data = report.to_dict()
    assert data["capability"] == "notes"
    assert data["matrix"] == matrix.version
    assert data["passed"] is False
    assert data["stage"] is None
    assert [i["id"] for i in data["items"]] == [i.id for i in default_checklist()]
    assert set(data["items"][0]) == {
        "id",
        "text",
        "source",
        "kind",
        "status",
        "evidence",
        "fix",
        "details",
        "attestation",
    }
    for item in report.failing:
        assert item.fix, item.id
    assert data["counts"]["failing"] == len(report.failing)
