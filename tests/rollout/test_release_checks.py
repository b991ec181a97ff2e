"""Each automated release check passes on the evidence, and fails for its own reason.

`ready` builds a capability (`notes` of a small shop agent) that passes every item: the
matrix in force, real traces from an Engine, eval runs through the real runner, a prompt
pin, reviewer decisions with reason codes and the five attestations. Each test then takes
one piece of evidence away (or breaks it) and checks that exactly its item fails, saying
why and what to do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from earned.evals import Dataset, Scenario
from earned.policy import Policy, Rule
from earned.rollout import CapabilityMatrix, ReleaseReport, RolloutStore, attest, release_check
from earned.rollout._changes import audit_launch
from earned.stages import Stage
from earned.store import Database
from earned.store._tables import spans
from earned.tools import ToolContext, tool
from tests.rollout.release_support import (
    ATTESTED,
    POLICY,
    REGRESSION,
    add_review,
    adversarial,
    lookup,
    note,
    pay,
    pin_prompt,
    run_evals,
    run_live,
    shop_agent,
    ticket,
    write_matrix,
)


@dataclass
class Ready:
    db: Database
    matrix: CapabilityMatrix
    tmp_path: Path

    def check(self, *, agents: Any = None, matrix: CapabilityMatrix | None = None) -> ReleaseReport:
        agents = [shop_agent()] if agents is None else agents
        return release_check(self.db, matrix or self.matrix, "notes", agents=agents)


@pytest.fixture
async def ready(db: Database, tmp_path: Path) -> Ready:
    matrix = write_matrix(tmp_path)
    results = await run_live(db, matrix, ticket("o1"), ticket("o2"))
    assert [r.status for r in results] == ["completed", "completed"]
    reports = await run_evals(db, matrix, REGRESSION, adversarial())
    assert [r.verdict for r in reports] == ["passed", "passed"]
    pin_prompt(db, "notes")
    add_review(db, "notes", "approve_edited", "bad_tone")
    add_review(db, "notes", "approve", None)
    for item in ATTESTED:
        attest(db, matrix, "notes", item, note=f"checked {item}", actor="ana")
    return Ready(db=db, matrix=matrix, tmp_path=tmp_path)


@pytest.fixture
def bare(db: Database, tmp_path: Path) -> Ready:
    """The same capability with no evidence at all: enough for checks of code and matrix."""
    return Ready(db=db, matrix=write_matrix(tmp_path), tmp_path=tmp_path)


def only_failing(report: ReleaseReport) -> dict[str, Any]:
    return {i.id: i for i in report.failing}


def test_a_ready_capability_passes_every_item(ready: Ready) -> None:
    report = ready.check()
    assert [(i.id, i.evidence) for i in report.failing] == []
    assert report.passed
    assert report.stage == "assist"
    evidence = {i.id: i.evidence for i in report.items}
    assert "2 finished runs" in evidence["trace_coverage"]
    assert "regression" in evidence["regression_tests_pass"]
    assert "adversarial" in evidence["injection_tests_pass"]
    assert "3/3 resisted" in evidence["injection_tests_pass"]
    assert evidence["model_pinned"].startswith("no model to pin")
    assert evidence["prompt_pinned"].startswith("prompt pinned on notes")


def test_owner_fails_for_an_unowned_capability(bare: Ready) -> None:
    failing = only_failing(bare.check(matrix=write_matrix(bare.tmp_path, owner="unowned")))
    assert "owner" in failing
    assert failing["owner"].evidence == "notes has no named owner (owner: 'unowned')"


def test_matrix_updated_fails_when_the_file_is_not_the_matrix_in_force(ready: Ready) -> None:
    edited = write_matrix(ready.tmp_path, description="Notes, now with templates.")
    item = only_failing(ready.check(matrix=edited))["matrix_updated"]
    assert f"the file ({edited.version}) is not the matrix in force" in item.evidence
    assert item.fix.startswith("deploy the edited matrix")
    audit_launch(ready.db, [], edited)  # the engine launched with it
    assert "matrix_updated" not in only_failing(ready.check(matrix=edited))


def test_matrix_updated_fails_when_the_stage_moved_after_the_row_was_reviewed(
    ready: Ready,
) -> None:
    time.sleep(0.01)  # the move comes strictly after the launch
    RolloutStore(ready.db).set_stage("notes", Stage.APPROVAL_REQUIRED, actor="bo", reason="up")
    item = only_failing(ready.check())["matrix_updated"]
    assert "notes moved assist -> approval_required" in item.evidence
    assert "after its row was last updated" in item.evidence
    reviewed = write_matrix(ready.tmp_path, next_review='"2099-06-01"')
    time.sleep(0.01)
    audit_launch(ready.db, [], reviewed)  # the reviewed row goes live
    assert "matrix_updated" not in only_failing(ready.check(matrix=reviewed))


def test_a_matrix_never_launched_fails_matrix_updated_and_rollback_flags(
    db: Database, tmp_path: Path
) -> None:
    failing = only_failing(
        release_check(db, write_matrix(tmp_path), "notes", agents=[shop_agent()])
    )
    assert "never launched" in failing["matrix_updated"].evidence
    assert "no kill switch notes/enabled" in failing["rollback_flags"].evidence


def test_prompt_pinned_fails_without_a_pin_and_model_pinned_when_a_model_runs(
    bare: Ready,
) -> None:
    modelled = shop_agent()
    modelled.model = "openai:gpt-4.1-mini"
    failing = only_failing(bare.check(agents=[modelled]))
    prompt = modelled.versions()["prompt"]
    assert (
        failing["prompt_pinned"].evidence
        == f"no prompt pin on notes (the agents run shop {prompt})"
    )
    assert failing["prompt_pinned"].fix.startswith("pin the prompt the capability runs")
    assert failing["model_pinned"].evidence == (
        "no model pin on notes (the agents run shop openai:gpt-4.1-mini)"
    )


def test_pins_are_moot_for_an_agent_without_instructions_or_model(bare: Ready) -> None:
    static = shop_agent()
    static.instructions = None
    report = bare.check(agents=[static])
    assert report.get("prompt_pinned").evidence.startswith("no prompt to pin: the agents have no")
    assert report.get("model_pinned").evidence == (
        "no model to pin: the agents have no model (fixed in code: none)"
    )


def test_a_prompt_pinned_through_the_versions_api_passes(ready: Ready) -> None:
    item = ready.check().get("prompt_pinned")
    assert item.status == "pass"
    assert item.evidence.startswith("prompt pinned on notes: shop@")
    assert " by ana " in item.evidence


def test_tool_schemas_fail_for_an_undocumented_argument(bare: Ready) -> None:
    @tool(risk="internal_write", allowed_use="Write a note", blocked_use="Email")
    def note(order_id: str, text: str) -> dict[str, Any]:  # same name, no Args section
        """Write an internal note."""
        return {}

    agent = shop_agent(tools=[lookup, note, pay])
    item = only_failing(bare.check(agents=[agent]))["tool_schemas_tested"]
    assert item.evidence == "note.order_id: no description; note.text: no description"


def test_tool_checks_fail_when_no_agent_is_given(bare: Ready) -> None:
    failing = only_failing(bare.check(agents=[]))
    for item in ("tool_schemas_tested", "permissions_in_code", "idempotency", "least_privilege"):
        assert failing[item].evidence.startswith("no agent was given"), item
        assert "--agent" in failing[item].fix


def test_permissions_fail_when_a_tool_has_no_rule_or_default_deny_breaks(bare: Ready) -> None:
    no_rule = Policy([r for r in POLICY.rules if r.id != "notes"], name="shop")
    no_rule = Policy(
        [*no_rule.rules, Rule.build("note-by-risk", "allow", risks=["internal_write"])]
    )
    item = only_failing(bare.check(agents=[shop_agent(policy=no_rule)]))["permissions_in_code"]
    assert "no rule of policy@" in item.evidence
    assert "names note" in item.evidence
    assert "default deny does not hold" in item.evidence
    assert "an unlisted internal_write tool" in item.evidence


def test_least_privilege_fails_for_a_rule_that_allows_every_tool(bare: Ready) -> None:
    wide = Policy(
        [*POLICY.rules, Rule.build("anything-read", "allow", risks=["read"])], name="shop"
    )
    failing = only_failing(bare.check(agents=[shop_agent(policy=wide)]))
    assert failing["least_privilege"].evidence == "rule anything-read allows every tool (allow)"


def test_thresholds_first_fails_when_the_gates_changed_since_the_last_run(ready: Ready) -> None:
    gates = ready.tmp_path / "gates.yaml"
    gates.write_text(gates.read_text().replace("minimum: 100%", "minimum: 90%"))
    failing = only_failing(ready.check())
    item = failing["eval_thresholds_first"]
    assert item.evidence.startswith("the gates changed since the last eval")
    assert "no regression run against gates" in failing["regression_tests_pass"].evidence


async def test_regression_fails_when_the_latest_regression_run_failed(ready: Ready) -> None:
    broken = Dataset(
        name="regression",
        scenarios=(Scenario(id="r9", input=ticket("o9"), expected_tools=["lookup"]),),
    )
    await run_evals(ready.db, ready.matrix, broken)
    item = only_failing(ready.check())["regression_tests_pass"]
    assert "regression" in item.evidence
    assert "failed: tool selection" in item.evidence


async def test_injection_fails_when_the_agent_follows_an_injected_instruction(
    ready: Ready,
) -> None:
    await run_evals(ready.db, ready.matrix, adversarial(obey=True))
    item = only_failing(ready.check())["injection_tests_pass"]
    assert item.evidence == "injection gate: adversarial failed: 2/3 (66.7%)"


async def test_injection_fails_when_no_run_judged_an_injection_case(
    db: Database, tmp_path: Path
) -> None:
    matrix = write_matrix(tmp_path)
    await run_evals(db, matrix, REGRESSION)
    item = only_failing(release_check(db, matrix, "notes", agents=[shop_agent()]))
    assert "judged any injection case" in item["injection_tests_pass"].evidence


async def test_trace_coverage_fails_for_a_call_outside_a_rooted_run(ready: Ready) -> None:
    with ready.db.engine.begin() as conn:
        root = conn.execute(
            sa.select(spans.c.span_id, spans.c.run_id).where(spans.c.kind == "run").limit(1)
        ).first()
        assert root is not None
        conn.execute(sa.delete(spans).where(spans.c.span_id == root.span_id))
    item = only_failing(ready.check())["trace_coverage"]
    assert f"{root.run_id}: no root span" in item.evidence


async def test_trace_coverage_fails_for_a_call_missing_its_arguments_or_its_span(
    ready: Ready,
) -> None:
    with ready.db.engine.begin() as conn:
        call = (
            conn.execute(
                sa.select(spans).where(spans.c.kind == "tool_call", spans.c.tool == "note").limit(1)
            )
            .mappings()
            .first()
        )
        assert call is not None
        attributes = {k: v for k, v in call["attributes"].items() if k != "arguments"}
        conn.execute(
            sa.update(spans).where(spans.c.span_id == call["span_id"]).values(attributes=attributes)
        )
    failing = only_failing(ready.check())
    assert f"{call['span_id']} (tool_call note): no arguments" in failing["trace_coverage"].evidence
    assert "observability_fields" not in failing  # seed 004's fields do not include arguments
    with ready.db.engine.begin() as conn:
        conn.execute(sa.delete(spans).where(spans.c.span_id == call["span_id"]))
    failing = only_failing(ready.check())
    assert f"{call['run_id']}: 2 steps but 1 call spans" in failing["trace_coverage"].evidence


def test_trace_coverage_fails_before_any_run(db: Database, tmp_path: Path) -> None:
    failing = only_failing(
        release_check(db, write_matrix(tmp_path), "notes", agents=[shop_agent()])
    )
    assert failing["trace_coverage"].evidence.startswith("no runs of notes are recorded yet")
    assert failing["observability_fields"].evidence.startswith("no runs of notes")


async def test_pii_fails_for_raw_personal_data_in_an_eval_dataset(ready: Ready) -> None:
    leaky = Dataset(
        name="regression",
        scenarios=(
            Scenario(
                id="r-mail",
                input=ticket("o1", "please note: mail me at ada.lovelace@example.com"),
                expected_tools=["lookup", "note"],
            ),
        ),
    )
    await run_evals(ready.db, ready.matrix, leaky)
    item = only_failing(ready.check())["pii_sanitized"]
    assert "dataset regression case r-mail: EMAIL" in item.evidence


async def test_pii_passes_when_the_engine_redacted_a_ticket_with_an_email(ready: Ready) -> None:
    await run_live(ready.db, ready.matrix, ticket("o3", "mail me at ada.lovelace@example.com"))
    assert "pii_sanitized" not in only_failing(ready.check())


def test_reviewer_feedback_fails_without_decisions_or_without_reason_codes(
    db: Database, tmp_path: Path
) -> None:
    matrix = write_matrix(tmp_path)

    def item() -> Any:
        return release_check(db, matrix, "notes", agents=[shop_agent()]).get("reviewer_feedback")

    assert item().evidence == "not yet: 0 reviewer decisions on notes, fewer than 1"
    add_review(db, "notes", "reject", None)
    assert item().evidence == "1 of 1 edits or rejections carry no reason code"
    add_review(db, "orders", "reject", "wrong_policy")  # another capability's
    assert item().status == "fail"


def test_rollback_flags_fail_without_a_rollback_action(bare: Ready) -> None:
    item = only_failing(bare.check(matrix=write_matrix(bare.tmp_path, rollback="", stage="shadow")))
    assert "notes has no rollback action in the matrix" in item["rollback_flags"].evidence


def test_dashboards_fail_without_stop_conditions_or_with_broken_alert_rules(
    ready: Ready, tmp_path: Path
) -> None:
    bare = write_matrix(ready.tmp_path, stop_conditions="")
    item = only_failing(ready.check(matrix=bare))["dashboards"]
    assert "notes has no stop condition" in item.evidence
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nrules: [{id: x}]\n")
    team = tmp_path / "team.yaml"
    team.write_text(
        "version: 1\nitems:\n  - id: dashboards\n    text: Dashboards.\n    source: seed 000\n"
        f"    kind: automated\n    check: check_dashboards\n    params: {{rules: {rules}}}\n"
    )
    from earned.rollout import load_checklist

    report = release_check(
        ready.db, ready.matrix, "notes", agents=[shop_agent()], checklist=load_checklist(team)
    )
    assert "alert rules do not load" in report.get("dashboards").evidence


def test_next_review_fails_when_past_or_missing(bare: Ready) -> None:
    past = only_failing(bare.check(matrix=write_matrix(bare.tmp_path, next_review='"2020-01-01"')))
    assert past["next_review"].evidence.startswith("next_review 2020-01-01 is past")
    none = only_failing(bare.check(matrix=write_matrix(bare.tmp_path, next_review="")))
    assert none["next_review"].evidence == "notes has no next_review date"


def test_scope_fails_without_a_description_or_beyond_max_risk(bare: Ready) -> None:
    failing = only_failing(bare.check(matrix=write_matrix(bare.tmp_path, description="")))
    assert failing["scope_and_risk"].evidence == (
        "notes has no description of its scope in the matrix"
    )


def test_high_impact_approval_fails_for_a_waiver_below_conditional_auto(
    db: Database, tmp_path: Path
) -> None:
    matrix = write_matrix(tmp_path)
    waived = Policy(
        [*POLICY.rules, Rule.build("pay-always", "allow", tools=["pay"], approval_waived=True)],
        name="shop",
    )

    def item(agent: Any) -> Any:
        return release_check(db, matrix, "payments", agents=[agent]).get("approval_high_impact")

    assert item(shop_agent()).status == "pass"
    assert item(shop_agent(policy=waived)).evidence == (
        "rule pay-always waives approval of pay below conditional_auto"
    )


def test_idempotency_fails_for_a_write_without_a_strategy(bare: Ready) -> None:
    @tool(risk="internal_write", allowed_use="Write a note", blocked_use="Email")
    def note(order_id: str, text: str) -> dict[str, Any]:
        """Write an internal note.

        Args:
            order_id: The order.
            text: The note.
        """
        return {}

    item = only_failing(bare.check(agents=[shop_agent(tools=[lookup, note, pay])]))
    assert item["idempotency"].evidence.startswith("no idempotency strategy for note")


def test_reliability_fails_for_a_tool_without_a_timeout(bare: Ready) -> None:
    @tool(risk="internal_write", timeout=None, allowed_use="Write a note", blocked_use="Email")
    def note(ctx: ToolContext, order_id: str, text: str) -> dict[str, Any]:
        """Write an internal note.

        Args:
            ctx: Injected.
            order_id: The order.
            text: The note.
        """
        return {"id": ctx.idempotency_key}

    failing = only_failing(bare.check(agents=[shop_agent(tools=[lookup, note, pay])]))
    assert failing["reliability_policy"].evidence == "note has no timeout"
    assert "idempotency" not in failing


def test_the_real_tools_pass_the_reliability_and_idempotency_checks(bare: Ready) -> None:
    report = bare.check()
    assert "note: passes ctx.idempotency_key to the system" in report.get("idempotency").evidence
    assert "note: 30s, 1 attempt(s)" in report.get("reliability_policy").evidence
    assert note.name == "note"
