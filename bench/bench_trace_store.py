"""Benchmark the trace store: span insert rate, and trace search over a million spans.

Insert: N spans go through `SpanStore` (the sink every run writes to: queued, batched,
upserted on a background thread). The baseline, measured in the same process on the same
database, is a raw DB-API `executemany` of the same rows into a copy of `earned_spans`
without indexes or upsert: the most a plain insert can do. The figure is the ratio.

Query: "the five most expensive failures last week" (`earned traces list --since 7d
--status failed,escalated --sort cost --limit 5`) through `TraceStore.search`, against the
same SQL with the indexes switched off (`NOT INDEXED` on SQLite, `enable_indexscan=off`
on PostgreSQL). A second query filters by tool (runs that called `submit_refund`). Each
query is timed `--repeat` times after one warm-up: the table shows p50 and p95.

    python bench/bench_trace_store.py                          # 1,000,000 spans on SQLite
    python bench/bench_trace_store.py --spans 100000 --database postgresql://...

Prints a table and writes JSON to bench/results/trace_store.json (or --out). No figure
here is asserted anywhere: the test suite only checks that a tiny run completes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from earned.runtime._events import RunEvent
from earned.store import Database, SpanStore
from earned.store._spans import span_row
from earned.store._tables import runs
from earned.tracing import TraceQuery, TraceStore
from earned.tracing._search import search_statement

RESULTS = Path(__file__).parent / "results" / "trace_store.json"
NOW = 1_800_000_000.0
DAY = 86_400.0
TOOLS = ("get_order_summary", "get_refund_policy", "create_refund_recommendation", "submit_refund")
STATUSES = (("completed", 0.85), ("failed", 0.08), ("escalated", 0.05), ("denied", 0.02))
CHUNK = 50_000


def _status(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for status, share in STATUSES:
        total += share
        if roll < total:
            return status
    return "completed"


def make_runs(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """`earned_runs` rows spread over 30 days with a realistic mix of outcomes and costs."""
    rows: list[dict[str, Any]] = []
    for n in range(count):
        created = NOW - rng.random() * 30 * DAY
        status = _status(rng)
        rows.append(
            {
                "run_id": f"run_{n:08d}",
                "agent": rng.choice(("refunds", "triage", "drafts")),
                "status": status,
                "tenant": f"t{rng.randrange(50)}",
                "user_id": f"u{rng.randrange(5000)}",
                "capability": rng.choice(("draft_reply", "submit_refund", "classify")),
                "cost": round(rng.lognormvariate(-5, 1.5), 6),
                "input_tokens": rng.randrange(100, 5000),
                "output_tokens": rng.randrange(10, 800),
                "error": {"type": "ToolCrashed", "message": "x"} if status == "failed" else None,
                "created_at": created,
                "updated_at": created + 5,
                "started_at": created,
                "ended_at": created + rng.uniform(0.2, 30.0),
                "schema_version": 1,
            }
        )
    return rows


def make_spans(
    run_rows: Sequence[dict[str, Any]], per_run: int, rng: random.Random
) -> Iterator[RunEvent]:
    """`per_run` spans per run: the run span, then alternating model and tool calls."""
    for run in run_rows:
        run_id, start = run["run_id"], run["created_at"]
        root = f"{run_id}:00001"
        yield RunEvent(
            run_id=run_id,
            span_id=root,
            parent_id=None,
            kind="run",
            name=run["agent"],
            started_at=start,
            ended_at=run["ended_at"],
            status=run["status"],
            attributes={"agent": run["agent"], "cost": run["cost"]},
        )
        for seq in range(2, per_run + 1):
            at = start + seq * 0.1
            if seq % 2 == 0:
                attrs: dict[str, Any] = {
                    "model": "openai:gpt-4.1-mini",
                    "input_tokens": 900,
                    "output_tokens": 120,
                    "cost": 0.0006,
                }
                yield RunEvent(
                    run_id=run_id,
                    span_id=f"{run_id}:{seq:05d}",
                    parent_id=root,
                    kind="model_call",
                    name="openai:gpt-4.1-mini",
                    started_at=at,
                    ended_at=at + 0.05,
                    attributes=attrs,
                )
            else:
                tool = rng.choice(TOOLS)
                yield RunEvent(
                    run_id=run_id,
                    span_id=f"{run_id}:{seq:05d}",
                    parent_id=root,
                    kind="tool_call",
                    name=tool,
                    started_at=at,
                    ended_at=at + 0.01,
                    attributes={
                        "tool": tool,
                        "call_id": f"c{seq}",
                        "rule_id": "reads",
                        "fields_returned": ["total", "status"],
                    },
                )


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


#: The indexes of earned_spans, rebuilt on the baseline table for the "indexed" baseline.
SPAN_INDEXES = ("span_id", "run_id, started_at", "kind, started_at", "tool", "error_type")


def insert_baseline(db: Database, rows: list[dict[str, Any]], *, indexed: bool) -> float:
    """Seconds for a raw DB-API executemany of `rows` into a copy of earned_spans.

    The copy has no indexes, or (`indexed`) the same indexes as earned_spans.
    """
    columns = list(rows[0])
    marks = ", ".join(["?" if db.dialect == "sqlite" else "%s"] * len(columns))
    sql = f"INSERT INTO bench_spans_raw ({', '.join(columns)}) VALUES ({marks})"
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_spans_raw")
        conn.exec_driver_sql(
            "CREATE TABLE bench_spans_raw AS SELECT * FROM earned_spans WHERE 1 = 0"
        )
        for n, cols in enumerate(SPAN_INDEXES if indexed else ()):
            unique = "UNIQUE " if n == 0 else ""
            conn.exec_driver_sql(f"CREATE {unique}INDEX bench_ix_{n} ON bench_spans_raw ({cols})")
    params = [
        tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in r.values()) for r in rows
    ]
    raw = db.engine.raw_connection()
    try:
        start = time.perf_counter()
        cursor = raw.cursor()
        for i in range(0, len(params), CHUNK):
            cursor.executemany(sql, params[i : i + CHUNK])
            raw.commit()
        elapsed = time.perf_counter() - start
    finally:
        raw.close()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bench_spans_raw")
    return elapsed


def insert_spans(db: Database, events: list[RunEvent]) -> float:
    """Seconds for SpanStore to take and write every event (emit, then flush)."""
    with SpanStore(db, batch_size=500) as store:
        start = time.perf_counter()
        for i in range(0, len(events), CHUNK):
            for event in events[i : i + CHUNK]:
                store.emit(event)
        store.flush()
        return time.perf_counter() - start


def _sql(db: Database, query: TraceQuery, *, indexes: bool) -> Callable[[], Any]:
    """The search's own SQL, run as is, or with the indexes on earned_runs switched off."""
    compiled = str(
        search_statement(query).compile(db.engine, compile_kwargs={"literal_binds": True})
    )

    def run() -> Any:
        with db.engine.begin() as conn:
            if indexes:
                return conn.exec_driver_sql(compiled).all()
            if db.dialect == "sqlite":
                sql = compiled.replace("FROM earned_runs", "FROM earned_runs NOT INDEXED", 1)
                return conn.exec_driver_sql(sql).all()
            conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            # A text of its own: psycopg prepares a statement after 5 runs, and PostgreSQL
            # keeps the plan of a prepared statement without parameters, so the same text
            # would go on using the indexed plan prepared by the runs above.
            return conn.exec_driver_sql(f"/* indexes off */ {compiled}").all()

    return run


def timings_ms(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Milliseconds of `repeat` calls of `fn`, after one untimed call that warms the cache."""
    fn()
    return [_timed(fn) * 1000 for _ in range(repeat)]


def p95(values: Sequence[float]) -> float:
    """The 95th percentile, linear between the closest ranks."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * 0.95
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def bench(database_url: str, spans: int, per_run: int, repeat: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    db = Database(database_url)
    db.upgrade()
    run_rows = make_runs(max(1, spans // per_run), rng)
    with db.engine.begin() as conn:
        for i in range(0, len(run_rows), CHUNK):
            conn.execute(runs.insert(), run_rows[i : i + CHUNK])
    events = list(make_spans(run_rows, per_run, rng))
    rows = [span_row(e) for e in events]
    baseline_s = insert_baseline(db, rows, indexed=False)
    indexed_s = insert_baseline(db, rows, indexed=True)
    del rows
    store_s = insert_spans(db, events)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    traces = TraceStore(db)
    queries = {
        "five most expensive failures last week": TraceQuery(
            since=NOW - 7 * DAY, status=("failed", "escalated"), sort="cost", limit=5
        ),
        "runs that called submit_refund, last day": TraceQuery(
            since=NOW - DAY, tool="submit_refund", limit=50
        ),
    }
    results: dict[str, Any] = {}
    for name, query in queries.items():
        api = timings_ms(lambda q=query: traces.search(q), repeat)
        indexed = timings_ms(_sql(db, query, indexes=True), repeat)
        scan = timings_ms(_sql(db, query, indexes=False), repeat)
        results[name] = {
            "search_ms": statistics.median(api),
            "search_ms_p95": p95(api),
            "indexed_ms": statistics.median(indexed),
            "indexed_ms_p95": p95(indexed),
            "unindexed_ms": statistics.median(scan),
            "unindexed_ms_p95": p95(scan),
            "speedup": statistics.median(scan) / statistics.median(indexed),
            "rows": len(traces.search(query)),
        }
    db.close()
    return {
        "database": db.dialect,
        "spans": len(events),
        "runs": len(run_rows),
        "insert": {
            "span_store_per_s": len(events) / store_s,
            "raw_executemany_per_s": len(events) / baseline_s,
            "indexed_executemany_per_s": len(events) / indexed_s,
            "ratio_to_raw": baseline_s / store_s,
            "ratio_to_indexed": indexed_s / store_s,
        },
        "queries": results,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "load_average_1m": round(os.getloadavg()[0], 2),  # others' work skews the figures
    }


def render(report: dict[str, Any], console: Console) -> None:
    insert = report["insert"]
    table = Table(
        title=f"trace store: {report['spans']:,} spans, {report['runs']:,} runs "
        f"({report['database']})",
        title_justify="left",
    )
    for column in ("measure", "earned", "baseline", "ratio"):
        table.add_column(column)
    table.add_row(
        "span inserts/s: SpanStore vs raw executemany, no indexes",
        f"{insert['span_store_per_s']:,.0f}",
        f"{insert['raw_executemany_per_s']:,.0f}",
        f"{insert['ratio_to_raw']:.2f}x",
    )
    table.add_row(
        "span inserts/s: SpanStore vs raw executemany, same indexes",
        f"{insert['span_store_per_s']:,.0f}",
        f"{insert['indexed_executemany_per_s']:,.0f}",
        f"{insert['ratio_to_indexed']:.2f}x",
    )
    for name, q in report["queries"].items():
        table.add_row(
            f"{name}: SQL with vs without indexes (ms, p50 / p95)",
            f"{q['indexed_ms']:.2f} / {q['indexed_ms_p95']:.2f}",
            f"{q['unindexed_ms']:.2f} / {q['unindexed_ms_p95']:.2f}",
            f"{q['speedup']:.1f}x faster"
            if q["speedup"] >= 1
            else f"{1 / q['speedup']:.1f}x slower",
        )
        table.add_row(
            f"{name}: TraceStore.search (ms, p50 / p95)",
            f"{q['search_ms']:.2f} / {q['search_ms_p95']:.2f}",
            "",
            "",
        )
    console.print(table)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--spans-per-run", type=int, default=10)
    parser.add_argument(
        "--database",
        help="URL of an empty database of its own: earned's tables and the spans are left in "
        "it (default: a temporary SQLite file)",
    )
    parser.add_argument("--repeat", type=int, default=40, help="timed runs of each query")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        report = bench(url, args.spans, args.spans_per_run, args.repeat, args.seed)
    render(report, Console(width=None if sys.stdout.isatty() else 160))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
