"""Throughput of the redactor: typical span attributes, and the labelled corpus texts.

    python bench/bench_redaction.py                  # 20,000 span dicts, 5 rounds of text
    python bench/bench_redaction.py --spans 200 --rounds 1

Prints a table of span-shaped attribute dicts per second (the RedactingSink path) and
kilobytes per second for free text (support tickets, JSON tool results, log lines), and
writes JSON to bench/results/redaction.json (or --out). One core; no figure here is
asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.redaction import _corpus_dev, _corpus_heldout

from earned.redaction import Redactor

RESULTS = Path(__file__).parent / "results" / "redaction.json"

SPAN_ATTRIBUTES = {
    "tool": "get_order_summary",
    "risk": "read",
    "call_id": "call_AbC123xYz456QwE789rTy000",
    "arguments": {"order_id": "ord_1001", "email": "ana@example.com"},
    "idempotency_key": None,
    "rule_id": "read-orders",
    "attempts": 1,
    "cached": False,
    "fields_returned": ["product_names", "status", "total"],
    "fields_removed": ["card_number"],
    "policy_version": "refunds@3f786850e387",
    "logged": {"order_id": "ord_1001", "status": "delivered"},
}


def _span(i: int) -> dict[str, object]:
    """Span attributes whose arguments differ on every call (as in a real stream)."""
    return {
        **SPAN_ATTRIBUTES,
        "call_id": f"call_{i:08d}AbC123xYz456QwE",
        "arguments": {"order_id": f"ord_{i}", "email": f"user{i}@example.com"},
    }


def bench_spans(n: int = 20_000) -> tuple[float, float]:
    """(span dicts per second with new values in each, the same dict over and over)."""
    spans = [_span(i) for i in range(n)]
    scope = Redactor().scope("bench")
    start = time.perf_counter()
    for span in spans:
        scope.value(span)
    varied = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(n):
        scope.value(SPAN_ATTRIBUTES)
    return varied, n / (time.perf_counter() - start)


def bench_text(rounds: int = 5) -> tuple[float, float]:
    """Free text, each round with a fresh redactor (nothing seen before)."""
    texts = [item.text for item in _corpus_dev.corpus() + _corpus_heldout.corpus()]
    size = sum(len(t) for t in texts) * rounds
    start = time.perf_counter()
    for _ in range(rounds):
        scope = Redactor().scope("bench-text")
        for text in texts:
            scope.text(text)
    elapsed = time.perf_counter() - start
    return size / 1024 / elapsed, len(texts) * rounds / elapsed


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=20_000, help="span dicts per measure")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the text corpus")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    varied, repeated = bench_spans(args.spans)
    kib, texts = bench_text(args.rounds)
    report: dict[str, Any] = {
        "benchmark": "redaction",
        "spans": args.spans,
        "text_rounds": args.rounds,
        "results": {
            "span_attributes_new_values_per_s": varied,
            "span_attributes_repeated_per_s": repeated,
            "free_text_kib_per_s": kib,
            "free_text_texts_per_s": texts,
        },
        "machine": {
            "load_average_1m_at_start": round(load, 2),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
    }
    table = Table(title="redaction throughput (one core)", title_justify="left")
    for column in ("what", "per second", "each"):
        table.add_column(column, justify="left" if column == "what" else "right")
    table.add_row("span attributes, new values each time", f"{varied:,.0f}", _us(varied))
    table.add_row("span attributes, repeated", f"{repeated:,.0f}", _us(repeated))
    table.add_row("free text, unseen (KiB)", f"{kib:,.0f}", "-")
    table.add_row("free text, unseen (texts)", f"{texts:,.0f}", _us(texts))
    console = Console()
    console.print(table)
    m = report["machine"]
    console.print(
        f"load average {m['load_average_1m_at_start']} at start, {m['load_average_1m']} at the end"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def _us(rate: float) -> str:
    return f"{1e6 / rate:.0f} µs"


if __name__ == "__main__":
    main(sys.argv[1:])
