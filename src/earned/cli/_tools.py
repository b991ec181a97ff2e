"""`earned tools` and `earned policy check`: the tool table and policy validation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from earned.cli._loading import load_agent
from earned.cli._output import JsonOption, console, print_json
from earned.cli._render import status_text, table
from earned.policy import Policy

__all__ = ["policy_app", "tools_command"]

policy_app = typer.Typer(help="Validate and inspect policy files.", no_args_is_help=True)


def tools_command(
    agent: Annotated[str, typer.Argument(help="The agent: MODULE:ATTR or path/to/file.py:ATTR.")],
    json_: JsonOption = False,
) -> None:
    """Print an agent's tool table: risk class, allowed and blocked use, approval, logging."""
    loaded = load_agent(agent)
    specs = [t.spec for t in loaded.tools]
    if json_:
        print_json([{**s.__dict__, "risk": s.risk.value} for s in specs])
        return
    rows = [
        [
            s.name,
            s.risk.value,
            s.allowed_use,
            s.blocked_use or "-",
            s.approval_needed,
            s.logging,
            s.returns or "all fields",
        ]
        for s in specs
    ]
    columns = ["tool", "risk", "allowed use", "blocked use", "approval", "logging", "returns"]
    console().print(table(f"tools of {loaded.name}", columns, rows))


@policy_app.command("check")
def check_policy(
    path: Annotated[Path, typer.Argument(help="The policy YAML file.")],
    agent: Annotated[
        str | None,
        typer.Option(help="Check tool and argument names against this agent (MODULE:ATTR)."),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Load a policy file; report the first mistake with its line and fix, or list its rules.

    With `--agent`, tool and argument names are checked against the agent's tools, and the
    named Python checks (`check:`, `result_check:`) resolve to the ones the agent's own
    policy registered.
    """
    loaded = load_agent(agent) if agent else None
    tools = loaded.tools if loaded is not None else None
    policy = Policy.from_file(path, tools=tools, predicates=_predicates(loaded))
    if json_:
        print_json(
            {
                "version": policy.version,
                "digest": policy.digest,
                "rules": [r.fingerprint() for r in policy.rules],
            }
        )
        return
    rows = [[r.id, status_text(r.effect), r.describe(), r.reason or "-"] for r in policy.rules]
    out = console()
    out.print(table(f"{path}: {policy.version}", ["rule", "effect", "applies to", "reason"], rows))
    if tools is None:
        out.print("[dim]tool and argument names not checked: pass --agent MODULE:ATTR[/]")


def _predicates(agent: Any) -> dict[str, Any]:
    """The named checks the agent's policy was built with (none without an agent)."""
    found: dict[str, Any] = {}
    for rule in getattr(getattr(agent, "policy", None), "rules", ()):
        if rule.predicate is not None and rule.predicate_name:
            found[rule.predicate_name] = rule.predicate
        if rule.result_check is not None and rule.result_check_name:
            found[rule.result_check_name] = rule.result_check
    return found
