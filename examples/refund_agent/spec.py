"""`workflow.yaml` as a validated model: the bounded-workflow spec of seed 000."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

__all__ = ["WORKFLOW_FILE", "WorkflowSpec", "load_spec"]

WORKFLOW_FILE = Path(__file__).resolve().parent / "workflow.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(_Strict):
    """One named input or output."""

    name: str
    description: str


class Owner(_Strict):
    """Who owns the workflow and who reviews its failures."""

    team: str
    contact: str
    reviews_failures: str


class Decisions(_Strict):
    """What the model may decide, and what is outside its scope."""

    allowed: list[str]
    out_of_scope: list[str]


class Writable(_Strict):
    """One thing the agent may write, and the tool that writes it."""

    what: str
    tool: str


class Data(_Strict):
    """What the agent may read and write, and what it must never touch."""

    readable: dict[str, list[str]]
    never_readable: list[str]
    writable: list[Writable]
    never_writable: list[str]


class WorkflowSpec(_Strict):
    """The bounded workflow: job, inputs, outputs, decisions, data, bad outputs, owner."""

    version: Literal[1]
    name: str
    job: str
    owner: Owner
    inputs: list[Item]
    outputs: list[Item]
    decisions: Decisions
    data: Data
    bad_outputs: list[str]
    tools: dict[str, Literal["read", "internal_write", "external_write", "irreversible"]]


def load_spec(path: Path = WORKFLOW_FILE) -> WorkflowSpec:
    """Read and validate workflow.yaml."""
    return WorkflowSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
