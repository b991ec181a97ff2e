"""Eval projects: an agent directory's evals.yaml names capabilities, agents, gates and suites."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from earned.errors import UserError
from earned.evals import EvalFileError, EvalProject, EvalRunner, EvalStore, run_project
from earned.runtime import ReActAgent

PROJECT = Path(__file__).parent / "project"


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A copy of the test project the test may edit."""
    return Path(shutil.copytree(PROJECT, tmp_path / "project"))


def test_the_project_names_capabilities_and_suites() -> None:
    project = EvalProject.load(PROJECT)
    assert project.name == "test_support"
    assert list(project.capabilities) == ["recommend_refund", "tool_use"]
    assert list(project.suites) == ["golden", "regression", "adversarial", "tool_use"]
    refund = project.capabilities["recommend_refund"]
    assert refund.suites == ("golden", "regression", "adversarial")
    assert (refund.principal.role, refund.environment) == ("operator", "eval")
    assert refund.load_manifest().capability == "recommend_refund"
    golden = project.suites["golden"].load()
    assert [s.id for s in golden] == ["g_refund", "g_damaged", "g_late", "g_billing"]  # split test
    assert EvalProject.load(PROJECT / "evals.yaml").suites == project.suites


def test_a_factory_that_takes_a_model_is_given_the_model() -> None:
    spec = EvalProject.load(PROJECT).capabilities["tool_use"]
    agent = spec.load_agent("openai:gpt-4.1-mini")
    assert isinstance(agent, ReActAgent)
    assert agent.model == "openai:gpt-4.1-mini"
    assert spec.load_agent().model is not None


async def test_run_project_runs_each_capability_on_its_suites(sqlite_store: EvalStore) -> None:
    project = EvalProject.load(PROJECT)
    reports = await run_project(project, EvalRunner(sqlite_store), suite="all")
    assert [(r.run.capability, r.run.suite, r.verdict) for r in reports] == [
        ("recommend_refund", "golden", "passed"),
        ("recommend_refund", "regression", "passed"),
        ("recommend_refund", "adversarial", "failed"),
        ("tool_use", "tool_use", "passed"),
    ]
    assert all(r.run.project == "test_support" for r in reports)
    assert reports[0].run.split == "test"
    only = await run_project(
        project, EvalRunner(sqlite_store), suite="golden", capability="tool_use"
    )
    assert only == []


def test_unknown_suites_and_capabilities_are_user_errors() -> None:
    project = EvalProject.load(PROJECT)
    with pytest.raises(UserError, match="no suite 'goldn'; did you mean 'golden'"):
        project.suite_names("goldn")
    with pytest.raises(UserError, match="no capability 'refund'"):
        project.capability_names("refund")
    assert project.suite_names("all") == ["golden", "regression", "adversarial", "tool_use"]


@pytest.mark.parametrize(
    ("edit", "line", "message"),
    [
        (
            ("    gates: gates/tool_use.yaml\n", "    gate: gates/tool_use.yaml\n"),
            12,
            "unknown key 'gate'",
        ),
        (("    suites: [tool_use]\n", "    suites: [tools]\n"), 13, "unknown suite 'tools'"),
        (
            (
                "  golden: {dataset: datasets/golden.jsonl, split: test}\n",
                "  golden: {dataset: datasets/golden.jsonl, split: dev}\n",
            ),
            15,
            "split must be train or test",
        ),
        (
            (
                "    principal: {user: eval, role: operator, tenant: eval}\n",
                "    principal: {name: eval}\n",
            ),
            9,
            "principal is not valid",
        ),
        (
            (
                "    suites: [golden, regression, adversarial]\n",
                "    suites: [golden, regression, adversarial]\n    stage: autonomus\n",
            ),
            9,
            "unknown stage 'autonomus'",
        ),
    ],
)
def test_mistakes_in_evals_yaml_point_at_the_line(
    project_dir: Path, edit: tuple[str, str], line: int, message: str
) -> None:
    path = project_dir / "evals.yaml"
    text = path.read_text()
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1]))
    with pytest.raises(EvalFileError) as info:
        EvalProject.load(project_dir)
    assert info.value.details["line"] == line
    assert message in info.value.message


def test_a_manifest_for_another_capability_is_refused(project_dir: Path) -> None:
    gates = project_dir / "gates" / "tool_use.yaml"
    gates.write_text(gates.read_text().replace("capability: tool_use", "capability: tools"))
    spec = EvalProject.load(project_dir).capabilities["tool_use"]
    with pytest.raises(EvalFileError, match=r"gates capability 'tools'.*'tool_use'"):
        spec.load_manifest()


def test_a_directory_without_evals_yaml_says_what_to_add(tmp_path: Path) -> None:
    with pytest.raises(EvalFileError, match="cannot read the eval project") as info:
        EvalProject.load(tmp_path)
    assert "evals.yaml" in info.value.details["fix"]


def test_an_agent_ref_that_is_not_an_agent_is_refused(project_dir: Path) -> None:
    path = project_dir / "evals.yaml"
    path.write_text(
        path.read_text().replace("tests.evals.agents:build_support", "tests.evals.agents:classify")
    )
    spec = EvalProject.load(project_dir).capabilities["recommend_refund"]
    with pytest.raises(UserError, match="needs arguments"):
        spec.load_agent()


def test_refs_may_name_a_file_in_the_project(project_dir: Path) -> None:
    (project_dir / "my_agent.py").write_text(
        textwrap.dedent(
            """\
            from tests.evals.agents import build_support

            AGENT = build_support()
            """
        )
    )
    path = project_dir / "evals.yaml"
    path.write_text(
        path.read_text().replace("tests.evals.agents:build_support", "my_agent.py:AGENT")
    )
    spec = EvalProject.load(project_dir).capabilities["recommend_refund"]
    assert spec.load_agent().name == "eval_support"
