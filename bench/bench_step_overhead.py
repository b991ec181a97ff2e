"""Benchmark the control plane's cost per step, side by side with the anchors.

The same agent (bench/anchors/workload.py: a scripted model that answers instantly and asks
for one tool call per turn, five in-memory tools, three reads and two internal writes; six
model calls and five tool calls, **11 steps** per run) runs in these configurations:

1. `bare`: a plain Python loop calling the same functions (the floor);
2. `earned-sqlite`: earned's durable Engine on a SQLite file, with everything on (policy
   before and after every call, guards, injection screen, idempotency ledger for the
   writes, redaction, the span store, sealed DBOS checkpoints);
3. `earned-postgres`: the same on a fresh PostgreSQL database;
4. `pydantic-ai-dbos`: PydanticAI with its DBOS durability on SQLite (FunctionModel, tools
   as DBOS steps), in the bench venv;
5. `langgraph-sqlite`: LangGraph with its SQLite checkpointer (scripted chat model,
   ToolNode), in the bench venv.

And, to say where the time goes and to compare on equal terms:

- `earned-inline`: earned's guarded path without durability or storage (`run_inline`):
  the control plane's own logic;
- `dbos-floor`: the bare loop with each call a bare DBOS step, on SQLite in WAL mode:
  what durability costs before any runtime adds anything;
- `pydantic-ai-dbos-wal`: (4) with its SQLite file in WAL mode, as earned's is (DBOS's
  default is SQLite's rollback journal, which makes every commit dearer);
- `langgraph-sqlite-sync`: (5) with `durability="sync"` (its default, "async", writes a
  step's checkpoint while the next step runs).

Per-step overhead = (run wall time - the bare loop's median run time) / 11.

The configurations alternate in rounds (round k starts at configuration k, then the next,
...), each round doing `--warmup` untimed runs then `--iterations` timed ones, so machine
drift hits every configuration alike. earned runs in this interpreter; each anchor round is
a subprocess of the bench venv's interpreter (scripts/bench_venv.sh) that reports its own
per-run timings, so the anchors never become dependencies of earned. Timings are pooled
over the rounds. Ratios to the floor are of run times; ratios to PydanticAI+DBOS (as
shipped, and in WAL mode) are of per-step overhead; each at the median and at p95, pooled.

    python bench/bench_step_overhead.py                       # 6 rounds x 40 runs each
    python bench/bench_step_overhead.py --rounds 2 --iterations 10 --configs bare earned-sqlite
    python bench/profile_step_overhead.py                     # where earned-sqlite's time goes

Prints a table and writes JSON to bench/results/step_overhead.json (or --out). No figure
here is asserted anywhere: the test suite only checks that a tiny run completes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH / "anchors"))

import workload  # noqa: E402

from earned import Engine, Policy, ReActAgent, tool  # noqa: E402
from earned.messages import ToolResultMessage  # noqa: E402
from earned.models import default_registry  # noqa: E402
from earned.sealing import generate_key  # noqa: E402
from earned.testing import FunctionModel, ModelCall, respond, run_inline, tool_call  # noqa: E402

RESULTS = BENCH / "results" / "step_overhead.json"
CONFIGS = (
    "bare",
    "earned-inline",
    "dbos-floor",
    "earned-sqlite",
    "earned-postgres",
    "pydantic-ai-dbos",
    "pydantic-ai-dbos-wal",
    "langgraph-sqlite",
    "langgraph-sqlite-sync",
)


@dataclass(frozen=True)
class Anchor:
    """A configuration that runs as a subprocess: its script, arguments and interpreter."""

    script: str
    args: tuple[str, ...] = ()
    in_venv: bool = True  # the bench venv's interpreter; else this one


ANCHORS = {
    "dbos-floor": Anchor("dbos_floor.py", in_venv=False),
    "pydantic-ai-dbos": Anchor("pydantic_ai_dbos.py"),
    "pydantic-ai-dbos-wal": Anchor("pydantic_ai_dbos.py", ("--journal", "wal")),
    "langgraph-sqlite": Anchor("langgraph_sqlite.py"),
    "langgraph-sqlite-sync": Anchor("langgraph_sqlite.py", ("--durability", "sync")),
}
POSTGRES = os.environ.get(
    "EARNED_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DEFAULT_VENV = Path.home() / ".cache" / "earned" / "bench-venv"
PAI = "pydantic-ai-dbos"
PAI_WAL = "pydantic-ai-dbos-wal"


# -- the earned agent ---------------------------------------------------------------------


@tool(risk="read")
async def get_order(order_id: str) -> dict[str, Any]:
    """Read an order's customer, total and status."""
    return workload.get_order(order_id)


@tool(risk="read")
async def get_customer(customer_id: str) -> dict[str, Any]:
    """Read a customer's tier and order count."""
    return workload.get_customer(customer_id)


@tool(risk="read")
async def get_policy(topic: str) -> dict[str, Any]:
    """Read the policy section on a topic."""
    return workload.get_policy(topic)


@tool(risk="internal_write")
async def add_note(order_id: str, text: str) -> dict[str, Any]:
    """Add an internal note to an order."""
    return workload.add_note(order_id, text)


@tool(risk="internal_write")
async def set_tag(order_id: str, tag: str) -> dict[str, Any]:
    """Tag an order for a team's queue."""
    return workload.set_tag(order_id, tag)


TOOLS = [get_order, get_customer, get_policy, add_note, set_tag]
POLICY = """
version: 1
name: bench
rules:
  - id: reads
    effect: allow
    tools: [get_order, get_customer, get_policy]
  - id: internal-writes
    effect: allow
    tools: [add_note, set_tag]
"""


def scripted(call: ModelCall) -> Any:
    """The scripted model: the workload's next tool call, or the final answer."""
    seen = sum(isinstance(m, ToolResultMessage) for m in call.messages)
    action = workload.next_action(seen)
    if action is None:
        return respond(workload.FINAL)
    name, args = action
    return respond(tool_calls=[tool_call(name, args, id=f"call_{seen}")])


def build_agent() -> ReActAgent:
    """The workload as an earned ReAct agent with a policy allowing its five tools."""
    return ReActAgent(
        "bench",
        model=FunctionModel(scripted),
        instructions=workload.INSTRUCTIONS,
        tools=TOOLS,
        policy=Policy.from_yaml(POLICY, tools=TOOLS),
    )


async def earned_round(database_url: str, iterations: int, warmup: int) -> list[float]:
    """Launch an Engine, run the agent warmup + iterations times; the timed runs' seconds."""
    agent = build_agent()
    times: list[float] = []
    async with Engine([agent], database_url=database_url, prune_daily=False) as engine:
        for n in range(warmup + iterations):
            start = time.perf_counter()
            result = await engine.run(agent, workload.PROMPT)
            elapsed = time.perf_counter() - start
            if result.status != "completed" or result.output != workload.FINAL:
                raise RuntimeError(f"the earned run did not complete: {result.status} {result}")
            if result.steps != workload.STEPS:
                raise RuntimeError(f"expected {workload.STEPS} steps, got {result.steps}")
            if n >= warmup:
                times.append(elapsed)
    return times


async def inline_round(iterations: int, warmup: int) -> list[float]:
    """The guarded path without durability or storage (`run_inline`): the logic alone."""
    agent, registry = build_agent(), default_registry()
    times: list[float] = []
    for n in range(warmup + iterations):
        start = time.perf_counter()
        result = await run_inline(agent, workload.PROMPT, registry=registry)
        elapsed = time.perf_counter() - start
        if result.status != "completed" or result.steps != workload.STEPS:
            raise RuntimeError(f"the inline run did not complete: {result}")
        if n >= warmup:
            times.append(elapsed)
    return times


# -- the floor and the anchors ------------------------------------------------------------


def bare_run() -> str:
    """The floor: the same script and tool bodies in a plain loop, no guarantees at all."""
    messages: list[Any] = [("system", workload.INSTRUCTIONS), ("user", workload.PROMPT)]
    seen = 0
    while True:
        action = workload.next_action(seen)
        messages.append(("assistant", action))
        if action is None:
            return workload.FINAL
        name, args = action
        messages.append(("tool", workload.TOOLS[name](**args)))
        seen += 1


def bare_round(iterations: int, warmup: int) -> list[float]:
    times: list[float] = []
    for n in range(warmup + iterations):
        start = time.perf_counter()
        bare_run()
        elapsed = time.perf_counter() - start
        if n >= warmup:
            times.append(elapsed)
    return times


def venv_python(venv: Path) -> Path | None:
    """The bench venv's interpreter, or None when the venv is absent."""
    python = venv / "bin" / "python"
    return python if python.exists() else None


def anchor_round(
    config: str, python: Path, database: Path, iterations: int, warmup: int
) -> tuple[list[float], dict[str, str]]:
    """One round of a subprocess configuration; its timed runs and versions."""
    anchor = ANCHORS[config]
    command = [str(python), str(BENCH / "anchors" / anchor.script), *anchor.args]
    command += ["--iterations", str(iterations), "--warmup", str(warmup)]
    command += ["--database", str(database)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{config} failed (exit {done.returncode}): {done.stderr[-2000:]}\n"
            f"command: {' '.join(command)}; is the bench venv complete? "
            "run scripts/bench_venv.sh"
        )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["run_s"], report["versions"]


# -- statistics ---------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(runs: dict[str, list[float]]) -> dict[str, dict[str, Any]]:
    """Per configuration: run times, per-step overhead over the floor, and the ratios."""
    floor = statistics.median(runs["bare"]) if runs.get("bare") else 0.0
    rows: dict[str, dict[str, Any]] = {}
    for config, times in runs.items():
        per_step = [(t - floor) / workload.STEPS * 1000 for t in times]
        rows[config] = {
            "runs": len(times),
            "run_ms_p50": statistics.median(times) * 1000,
            "run_ms_p95": percentile(times, 95) * 1000,
            "step_overhead_ms_p50": statistics.median(per_step),
            "step_overhead_ms_p95": percentile(per_step, 95),
        }
    bare = rows.get("bare")
    for row in rows.values():
        # to the floor: run time over the bare loop's run time (its overhead is zero)
        row["ratio_to_bare"] = _ratio(row, bare, "run_ms_p50")
        row["ratio_to_bare_p95"] = _ratio(row, bare, "run_ms_p95")
        # to an anchor: per-step overhead over the anchor's, at the median and at p95
        for base in (PAI, PAI_WAL):
            key = "ratio_to_" + base.replace("-", "_")
            row[key] = _ratio(row, rows.get(base), "step_overhead_ms_p50")
            row[key + "_p95"] = _ratio(row, rows.get(base), "step_overhead_ms_p95")
    return rows


def _ratio(row: dict[str, Any], base: dict[str, Any] | None, key: str) -> float | None:
    return row[key] / base[key] if base and base[key] else None


# -- the machine --------------------------------------------------------------------------


def machine(postgres_version: str | None) -> dict[str, Any]:
    """Cores, memory, CPU model, OS, Python and PostgreSQL versions, and the load now."""
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "load_average_1m": round(os.getloadavg()[0], 2),  # others' work skews every figure
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgres": postgres_version,
    }


@contextmanager
def fresh_postgres(server_url: str) -> Iterator[tuple[str, str]]:
    """A new, empty PostgreSQL database (dropped afterwards): its URL and server version."""
    server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    name = f"earned_bench_{uuid.uuid4().hex[:10]}"
    with server.connect() as conn:
        version = str(conn.exec_driver_sql("SHOW server_version").scalar())
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = sa.make_url(server_url).set(database=name)
        yield url.render_as_string(hide_password=False), version
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


# -- the rounds ---------------------------------------------------------------------------


def rotation(configs: Sequence[str], round_index: int) -> list[str]:
    """Round k's order: start at configuration k, then the next ones, wrapping around."""
    start = round_index % len(configs)
    return [*configs[start:], *configs[:start]]


def run_rounds(
    configs: Sequence[str],
    rounds: int,
    iterations: int,
    warmup: int,
    runners: dict[str, Callable[[], list[float]]],
    progress: Callable[[str], None],
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Alternate the configurations round by round; pooled times and per-round medians."""
    pooled: dict[str, list[float]] = {c: [] for c in configs}
    medians: dict[str, list[float]] = {c: [] for c in configs}
    for k in range(rounds):
        for config in rotation(configs, k):
            times = runners[config]()
            pooled[config].extend(times)
            medians[config].append(statistics.median(times) * 1000)
            progress(f"round {k + 1}/{rounds} {config}: p50 {medians[config][-1]:.2f} ms/run")
    return pooled, medians


def bench(
    configs: Sequence[str],
    *,
    rounds: int,
    iterations: int,
    warmup: int,
    venv: Path,
    postgres_url: str,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Run the chosen configurations in alternating rounds; the report."""
    configs = list(configs)
    python = venv_python(venv)
    missing = [c for c in configs if c in ANCHORS and ANCHORS[c].in_venv and python is None]
    if missing:
        raise SystemExit(
            f"{', '.join(missing)} need the bench venv at {venv}: run scripts/bench_venv.sh "
            "(or set EARNED_BENCH_VENV), or leave them out with --configs"
        )
    versions: dict[str, dict[str, str]] = {}
    load_at_start = round(os.getloadavg()[0], 2)
    os.environ.setdefault("EARNED_DATA_KEY", generate_key())  # sealing on, no key file left
    with (
        tempfile.TemporaryDirectory(prefix="earned-bench-") as tmp,
        _postgres_if("earned-postgres" in configs, postgres_url) as (pg_url, pg_version),
    ):
        folder = Path(tmp)

        def anchor(config: str) -> list[float]:
            interpreter = python if ANCHORS[config].in_venv else Path(sys.executable)
            assert interpreter is not None
            times, versions[config] = anchor_round(
                config, interpreter, folder / f"{config}.db", iterations, warmup
            )
            return times

        runners: dict[str, Callable[[], list[float]]] = {
            "bare": lambda: bare_round(iterations, warmup),
            "earned-inline": lambda: asyncio.run(inline_round(iterations, warmup)),
            "earned-sqlite": lambda: asyncio.run(
                earned_round(f"sqlite:///{folder / 'earned.db'}", iterations, warmup)
            ),
            "earned-postgres": lambda: asyncio.run(earned_round(pg_url, iterations, warmup)),
            **{name: (lambda name=name: anchor(name)) for name in ANCHORS},
        }
        pooled, medians = run_rounds(configs, rounds, iterations, warmup, runners, progress)
    return {
        "benchmark": "step_overhead",
        "steps_per_run": workload.STEPS,
        "model_calls_per_run": workload.MODEL_CALLS,
        "tool_calls_per_run": workload.TOOL_CALLS,
        "turn_structure": "one tool call per model turn, then a final text answer",
        "rounds": rounds,
        "iterations_per_round": iterations,
        "warmup_per_round": warmup,
        "results": summarise(pooled),
        "round_medians_ms": medians,
        "anchor_versions": versions,
        "machine": {**machine(pg_version), "load_average_1m_at_start": load_at_start},
    }


@contextmanager
def _postgres_if(wanted: bool, server_url: str) -> Iterator[tuple[str, str | None]]:
    if not wanted:
        yield "", None
        return
    with fresh_postgres(server_url) as (url, version):
        yield url, version


# -- output -------------------------------------------------------------------------------


def render(report: dict[str, Any], console: Console) -> None:
    table = Table(
        title=f"step overhead: {report['steps_per_run']} steps a run "
        f"({report['model_calls_per_run']} model calls + {report['tool_calls_per_run']} tool "
        f"calls), {report['rounds']} rounds x {report['iterations_per_round']} runs",
        title_justify="left",
    )
    columns = ("configuration", "run ms p50", "run ms p95", "ms/step p50", "ms/step p95")
    for column in (*columns, "x bare p50/p95", "x pai-dbos p50/p95", "x pai-dbos-wal p50/p95"):
        table.add_column(column, justify="left" if column == "configuration" else "right")
    for config, row in report["results"].items():
        table.add_row(
            config,
            f"{row['run_ms_p50']:.3f}",
            f"{row['run_ms_p95']:.3f}",
            *_cells(config, row),
        )
    console.print(table)
    console.print(
        "ms/step = (run - bare run p50) / steps; x bare = ratio of run times; "
        "x pai-* = ratio of ms/step (at p50, at p95)"
    )
    m = report["machine"]
    console.print(
        f"machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu'] or m['platform']}; "
        f"Python {m['python']}; PostgreSQL {m['postgres'] or '-'}; load average "
        f"{m['load_average_1m_at_start']} at start, {m['load_average_1m']} at the end"
    )


def _cells(config: str, row: dict[str, Any]) -> list[str]:
    if config == "bare":
        return ["-", "-", "1 / 1", "-", "-"]

    def pair(key: str, form: str) -> str:
        p50, p95 = row[key], row[key + "_p95"]
        return "-" if p50 is None else f"{p50:{form}} / {'-' if p95 is None else f'{p95:{form}}'}"

    return [
        f"{row['step_overhead_ms_p50']:.3f}",
        f"{row['step_overhead_ms_p95']:.3f}",
        pair("ratio_to_bare", ",.0f"),
        pair("ratio_to_pydantic_ai_dbos", ".2f"),
        pair("ratio_to_pydantic_ai_dbos_wal", ".2f"),
    ]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--iterations", type=int, default=40, help="timed runs per round")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs per round")
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument(
        "--venv", type=Path, default=Path(os.environ.get("EARNED_BENCH_VENV", DEFAULT_VENV))
    )
    parser.add_argument("--postgres", default=POSTGRES, help="server URL to create a db on")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--quiet", action="store_true", help="no per-round progress lines")
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 150)  # a file: the whole table
    report = bench(
        args.configs,
        rounds=args.rounds,
        iterations=args.iterations,
        warmup=args.warmup,
        venv=args.venv,
        postgres_url=args.postgres,
        progress=(lambda _: None) if args.quiet else console.log,
    )
    render(report, console)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
