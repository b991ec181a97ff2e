"""The documentation is tested: the README quick start runs, the CLI reference is current."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from earned.cli._docs import command_paths, render_cli_docs

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _block_after(heading: str, language: str) -> str:
    section = README[README.index(heading) :]
    match = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert match, f"no {language} block after {heading!r}"
    return match.group(1)


def test_readme_opens_with_the_two_commands() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert first_block is not None
    lines = [line.split("#")[0].strip() for line in first_block.group(1).strip().splitlines()]
    assert lines == [
        "pip install -e . && earned demo",
        "pip install -e '.[dev]' && pytest",
    ]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -e '.[dev]'" in ci
    assert re.search(r"^\s*(python -m )?pytest\b", ci, re.M)


def _examples() -> list[tuple[str, str, str]]:
    """Every README python block followed by "It prints:" and the text it prints."""
    fence = r"((?:(?!```).)*?)"  # a block's body never contains a fence
    pattern = re.compile(
        rf"^## (.+?)$|```python\n{fence}```\s*It prints:\s*```text\n{fence}```", re.S | re.M
    )
    found, heading = [], ""
    for match in pattern.finditer(README):
        if match.group(1):
            heading = match.group(1)
        elif match.group(2):
            found.append((heading, match.group(2), match.group(3)))
    return found


def test_the_readme_has_runnable_examples() -> None:
    assert [h for h, _, _ in _examples()] == ["Quick start", "Approvals and the ledger"]


@pytest.mark.slow
@pytest.mark.parametrize(("heading", "code", "expected"), _examples(), ids=lambda v: str(v)[:20])
def test_each_readme_example_runs_and_prints_what_it_says(
    tmp_path: Path, heading: str, code: str, expected: str
) -> None:
    script = tmp_path / "example.py"
    script.write_text(code)
    env = {k: v for k, v in os.environ.items() if k != "EARNED_DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected, heading


def test_docs_cli_md_matches_the_real_help() -> None:
    assert (ROOT / "docs" / "cli.md").read_text().strip() == render_cli_docs().strip(), (
        "docs/cli.md is stale: run `python -m earned.cli._docs > docs/cli.md`"
    )


def test_every_command_is_in_the_readme_table() -> None:
    table = README[README.index("## Command line") : README.index("## Errors")]
    for path in command_paths():
        if len(path) == 1 and path[0] in {"runs", "policy"}:
            continue  # groups: their subcommands are listed
        assert f"`earned {' '.join(path)}" in table, f"earned {' '.join(path)} is not documented"
