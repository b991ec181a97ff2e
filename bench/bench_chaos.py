"""The long chaos run: 200 runs, 20 SIGKILLs, on SQLite (one worker) and PostgreSQL (two).

Counts that must be zero: duplicate side effects, lost runs, lost approvals,
double-consumed approvals, side effects without their approval. Also reported: how many
kills landed while runs waited for a human, ledger states (reconciled = a crash after the
side effect, resolved through the tool's reconcile check), and the wall time.

    python bench/bench_chaos.py                      # both backends, 200 runs, 20 kills
    python bench/bench_chaos.py --runs 50 --kills 5 --backends sqlite

Prints a table and writes JSON to bench/results/chaos.json (or --out). This is the longer
twin of tests/chaos/test_chaos.py, which runs the same harness smaller in the suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from earned.chaos import run_chaos

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _postgres_database() -> tuple[str, sa.Engine, str]:
    server = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"earned_chaos_{uuid.uuid4().hex[:10]}"
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    return url, server, name


def run(backends: list[str], runs: int, kills: int, seed: int) -> list[dict[str, Any]]:
    """One chaos run per backend; the report of each."""
    results = []
    for backend in backends:
        if backend == "sqlite":
            folder = tempfile.mkdtemp(prefix="earned-chaos-")
            report = run_chaos(
                "earned.chaos:TARGET",
                runs=runs,
                kills=kills,
                workers=1,
                seed=seed,
                database_url=f"sqlite:///{folder}/chaos.db",
            )
        else:
            url, server, name = _postgres_database()
            try:
                report = run_chaos(
                    "earned.chaos:TARGET",
                    runs=runs,
                    kills=kills,
                    workers=2,
                    seed=seed,
                    database_url=url,
                )
            finally:
                with server.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        results.append({"backend": backend, **report.to_dict()})
    return results


def show(results: list[dict[str, Any]]) -> None:
    table = Table(title="chaos: counts that must be zero, and what happened")
    columns = [
        "backend",
        "workers",
        "runs",
        "kills",
        "kills while waiting",
        "duplicates",
        "lost runs",
        "lost approvals",
        "double-consumed",
        "unapproved",
        "reconciled",
        "seconds",
    ]
    for column in columns:
        table.add_column(column)
    for r in results:
        table.add_row(
            r["backend"],
            str(r["workers"]),
            str(r["runs"]),
            str(r["kills"]),
            str(r["kills_while_waiting"]),
            str(r["duplicate_side_effects"]),
            str(r["lost_runs"]),
            str(r["lost_approvals"]),
            str(r["double_consumed_approvals"]),
            str(r["unapproved_side_effects"]),
            str(r["ledger"].get("reconciled", 0)),
            str(r["seconds"]),
        )
    Console(width=None if sys.stdout.isatty() else 160).print(table)  # a file: all of it


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "chaos.json"))
    args = parser.parse_args(argv)
    load_at_start = round(os.getloadavg()[0], 2)  # others' work on the machine
    results = run(args.backends.split(","), args.runs, args.kills, args.seed)
    show(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1m_at_start": load_at_start,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    out.write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
