"""Profile earned's hot path: py-spy samples every thread of a process running the workload.

bench_step_overhead's agent runs `--iterations` times on a durable Engine (SQLite by
default) in a child process, under `py-spy record --threads` (every thread: the event loop,
DBOS's executor threads, the span writer). Samples of threads that are waiting (a lock, a
queue, the selector, a sleep) are dropped, so the shares are of the CPU the runs burn, by
frame (self and inclusive) and by package; so are the samples of launching and shutting
down the engine (counted apart as `startup_samples`). The wall time of a run is that CPU
plus what it waits for (commits reaching the disk, thread hand-offs), which a sampler
cannot attribute: bench_step_overhead's `dbos-floor` and `earned-inline` configurations
measure those parts.

    pip install -e '.[bench]'                                    # py-spy (dev includes it)
    python bench/profile_step_overhead.py                        # 300 runs on SQLite
    python bench/profile_step_overhead.py --database postgresql+psycopg://...

Prints the tables and writes JSON to bench/results/step_overhead_profile.json (or --out).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results" / "step_overhead_profile.json"

#: Leaf frames of a thread that waits rather than works.
IDLE = re.compile(
    r"^(Condition\.wait|Event\.wait|EpollSelector\.select|_worker \(concurrent/futures/thread"
    r"|SystemDatabase\._notification_listener_polling|SpanStore\._run \(|sleep|Thread\._wait"
    r"|queue_thread|dynamic_scheduler_loop|_run_background_jobs|background_jobs_thread"
    r"|queue_worker_thread|thread \()"
)
#: Frames of starting and stopping the engine (once per process, not per run): left out.
STARTUP = re.compile(
    r"^(Engine\.(__init__|launch|shutdown) \(earned/runtime/|DBOS\._(launch|destroy) \(dbos/)"
)
#: Frames of the benchmark's own loop and of Python's machinery, left out of the tables.
PLUMBING = re.compile(
    r"^(Thread\.|BaseEventLoop\.|Handle\._run|Runner\.run|run \(asyncio|<module>|_WorkItem"
    r"|_worker|Pending\.|_run_workflow|_execute_workflow_async|_dropping_datasource|main \(|"
    r"earned_round|measure \(|run_until_complete|target \()"
)
PACKAGES = (
    ("earned.redaction", "earned/redaction/"),
    ("earned.store", "earned/store/"),
    ("earned.approvals", "earned/approvals/"),
    ("earned.policy", "earned/policy/"),
    ("earned.guards", "earned/guards/"),
    ("earned.runtime", "earned/runtime/"),
    ("earned (other)", "earned/"),
    ("dbos", "dbos/"),
    ("sqlalchemy", "sqlalchemy/"),
    ("psycopg", "psycopg/"),
    ("pydantic", "pydantic"),
    ("cryptography", "cryptography/"),
    ("asyncio and threads", "asyncio/"),
    ("asyncio and threads", "concurrent/"),
    ("asyncio and threads", "threading.py"),
)


def _frame(raw: str) -> str:
    return re.sub(r":\d+\)$", ")", raw)


def _package(frame: str) -> str:
    where = frame[frame.rfind("(") + 1 :]
    for name, marker in PACKAGES:
        if marker in where:
            return name
    return "other"


def analyse(lines: Iterable[str], top: int) -> dict[str, Any]:
    """Shares of busy samples by frame (self and inclusive) and by package of the leaf."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    busy = startup = 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if IDLE.match(frames[-1]) or any("_find_and_load" in f for f in frames):
            continue  # waiting, or importing
        n = int(count)
        if any(STARTUP.match(f) for f in frames):
            startup += n  # launching or shutting down the engine, not running the agent
            continue
        busy += n
        leaf = _frame(frames[-1])
        own[leaf] += n
        packages[_package(leaf)] += n
        threads[re.sub(r"^thread \(\d+\): |[-_]+\d+$", "", frames[0])] += n
        for frame in {_frame(f) for f in frames[1:]}:
            if not PLUMBING.match(frame):
                inclusive[frame] += n

    def shares(counter: Counter[str], limit: int) -> list[list[Any]]:
        return [[k, round(v / busy, 4)] for k, v in counter.most_common(limit)] if busy else []

    return {
        "busy_samples": busy,
        "startup_samples": startup,
        "by_thread": shares(threads, 8),
        "by_package": shares(packages, 20),
        "self": shares(own, top),
        "inclusive": shares(inclusive, top),
    }


def record(iterations: int, database: str | None, rate: int) -> list[str]:
    """Run the workload under py-spy in a child process; the collapsed stacks."""
    spy = shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed: pip install -e '.[bench]' (or py-spy)")
    with tempfile.TemporaryDirectory(prefix="earned-profile-") as tmp:
        raw = Path(tmp) / "stacks.txt"
        url = database or f"sqlite:///{Path(tmp) / 'earned.db'}"
        command = [spy, "record", "--threads", "--rate", str(rate), "--format", "raw"]
        command += ["--output", str(raw), "--", sys.executable, __file__, "--target", url]
        command += ["--iterations", str(iterations)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not raw.exists():
            raise SystemExit(f"py-spy failed (exit {done.returncode}): {done.stderr[-2000:]}")
        return raw.read_text().splitlines()


def target(database_url: str, iterations: int) -> None:
    """The profiled child: the earned configuration, `iterations` runs."""
    sys.path.insert(0, str(BENCH))
    from bench_step_overhead import earned_round

    from earned.sealing import generate_key

    os.environ.setdefault("EARNED_DATA_KEY", generate_key())
    asyncio.run(earned_round(database_url, iterations, warmup=5))


def render(report: dict[str, Any], console: Console) -> None:
    for key, title in (
        ("by_package", "busy CPU by package (leaf frame)"),
        ("self", "top frames, self"),
        ("inclusive", "top frames, inclusive"),
    ):
        table = Table(title=f"{title}: {report['busy_samples']:,} busy samples")
        table.add_column("share", justify="right")
        table.add_column("frame")
        for frame, share in report[key]:
            table.add_row(f"{share:.1%}", frame)
        console.print(table)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--rate", type=int, default=500, help="samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--target", help=argparse.SUPPRESS)  # the profiled child
    args = parser.parse_args(argv)
    if args.target:
        target(args.target, args.iterations)
        return {}
    report = analyse(record(args.iterations, args.database, args.rate), args.top)
    report = {"iterations": args.iterations, "database": args.database or "sqlite", **report}
    render(report, Console(width=None if sys.stdout.isatty() else 160))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
