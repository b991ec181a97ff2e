"""The `earned` command: one Typer app, one error boundary, `--json` on every report."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from earned._version import __version__
from earned.cli._output import print_error, print_json
from earned.errors import EarnedError, UserError

__all__ = ["build_app", "main"]


def _click_error() -> type[Exception]:
    """ClickException from the click Typer uses (newer Typer vendors its own)."""
    try:
        from typer._click.exceptions import ClickException  # type: ignore[import-not-found]
    except ImportError:  # Typer before it vendored click
        from click import ClickException
    return ClickException


def version_command(
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print earned's version and the Python it runs on."""
    python = sys.version.split()[0]
    if json_:
        print_json({"earned": __version__, "python": python})
    else:
        typer.echo(f"earned {__version__} (python {python})")


def build_app() -> typer.Typer:
    """Assemble the command tree (imports stay inside, so `earned --help` is fast)."""
    from earned.cli._approvals import approvals_app, ledger_app
    from earned.cli._audit import audit_command
    from earned.cli._breakers import breakers_app
    from earned.cli._chaos import chaos_command
    from earned.cli._demo import demo_command
    from earned.cli._evals import evals_app
    from earned.cli._keys import keys_command
    from earned.cli._metrics import alerts_app, metrics_command
    from earned.cli._release import release_app
    from earned.cli._replay import replay_app
    from earned.cli._review import review_app
    from earned.cli._rollout import flags_app, matrix_command, rollout_app
    from earned.cli._run import run_command
    from earned.cli._runs import runs_app
    from earned.cli._serve import serve_command
    from earned.cli._shadow import shadow_app
    from earned.cli._tokens import tokens_app
    from earned.cli._tools import policy_app, tools_command
    from earned.cli._traces import traces_app
    from earned.cli._versions import versions_app
    from earned.cli._worker import worker_command

    app = typer.Typer(
        name="earned",
        help="Ship LLM agents with progressive autonomy: run them durably under policy, "
        "and let them earn each permission on evidence.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(approvals_app, name="approvals")
    app.add_typer(breakers_app, name="breakers")
    app.command("audit")(audit_command)
    app.command("chaos")(chaos_command)
    app.command("demo")(demo_command)
    app.add_typer(evals_app, name="eval")
    app.add_typer(flags_app, name="flags")
    app.command("keys")(keys_command)
    app.command("run")(run_command)
    app.add_typer(runs_app, name="runs")
    app.add_typer(shadow_app, name="shadow")
    app.add_typer(ledger_app, name="ledger")
    app.command("matrix")(matrix_command)
    app.command("metrics")(metrics_command)
    app.command("tools")(tools_command)
    app.add_typer(policy_app, name="policy")
    app.add_typer(release_app, name="release")
    app.add_typer(replay_app, name="replay")
    app.add_typer(rollout_app, name="rollout")
    app.add_typer(traces_app, name="traces")
    app.add_typer(versions_app, name="versions")
    app.command("version")(version_command)
    app.command("worker")(worker_command)
    app.add_typer(review_app, name="review")
    app.command("serve")(serve_command)
    app.add_typer(tokens_app, name="tokens")
    return app


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print what to fix (no stack trace) and exit 2."""
    args = sys.argv[1:] if argv is None else argv
    as_json = "--json" in args
    click_error = _click_error()
    try:
        code = build_app()(args=args, prog_name="earned", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except click_error as exc:
        if as_json:
            print_error(exc.format_message(), as_json=True, kind="usage")  # type: ignore[attr-defined]
        else:
            exc.show()  # type: ignore[attr-defined]
        return int(getattr(exc, "exit_code", 2))
    except typer.Abort:
        return 130
    except EarnedError as exc:
        fix = exc.details.get("fix") if isinstance(exc.details.get("fix"), str) else None
        kind = type(exc).__name__
        print_error(
            exc.headline(),
            fix=fix,
            as_json=as_json,
            details=exc.to_dict()["details"],
            kind=kind,
        )
        return 2 if isinstance(exc, UserError) else 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if os.environ.get("EARNED_DEBUG"):
            raise
        print_error(
            f"internal error: {type(exc).__name__}: {exc}",
            fix="this is a bug in earned; rerun with EARNED_DEBUG=1 for the traceback and "
            "report it",
            as_json=as_json,
            kind="internal",
        )
        return 1
    return code if isinstance(code, int) else 0
