"""Running the `earned` command in-process, as the CLI tests of every area do."""

from __future__ import annotations

import pytest

from earned.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`earned ARGS...` in this process: its exit code, stdout and stderr."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err
