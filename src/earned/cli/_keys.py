"""`earned keys`: a new data key for sealing stored run payloads."""

from __future__ import annotations

from typing import Annotated

import typer

from earned.cli._output import console, print_json
from earned.sealing import generate_key

__all__ = ["keys_command"]


def keys_command(
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a new data key. Give every process that shares a database the same one.

    Set it as EARNED_DATA_KEY (workers, the CLI, services); DBOS's checkpoints of run
    inputs and step results are sealed with it (AES-256-GCM).
    """
    key = generate_key()
    if json_:
        print_json({"EARNED_DATA_KEY": key})
    else:
        console().print(f"export EARNED_DATA_KEY={key}")
