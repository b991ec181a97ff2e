"""Throughput of the redactor: typical span attributes, and the labelled corpus texts.

    python bench/bench_redaction.py

Prints events per second for span-shaped attribute dicts (the RedactingSink path) and
kilobytes per second for free text (support tickets, JSON tool results, log lines).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.redaction import _corpus_dev, _corpus_heldout

from earned.redaction import Redactor

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


def main() -> None:
    varied, repeated = bench_spans()
    kb, texts = bench_text()
    print(f"span attributes, new values each time: {varied:,.0f}/s ({1e6 / varied:.0f} µs each)")
    print(f"span attributes, repeated: {repeated:,.0f}/s ({1e6 / repeated:.0f} µs each)")
    print(f"free text, unseen: {kb:,.0f} KiB/s ({texts:,.0f} texts/s, {1e6 / texts:.0f} µs each)")


if __name__ == "__main__":
    main()
