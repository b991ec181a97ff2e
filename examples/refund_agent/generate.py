"""Generate the refund agent's datasets: `python -m examples.refund_agent.generate`.

Writes `examples/refund_agent/datasets/`: `golden.jsonl` (train/test split), `regression.jsonl`,
`adversarial.jsonl`, `tool_use.jsonl`, the back-office `orders.jsonl` the order database is
built from, and `manifest.json` (seed, sizes, class balance, Faker version). The same seed
and the same Faker version give byte-identical files. Needs `faker` (the `dev` extra).
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = [
    "DATASETS_DIR",
    "SEED",
    "check_adversarial",
    "check_references",
    "generate",
    "main",
    "write",
]

SEED = 20260301
DATASETS_DIR = Path(__file__).parent / "datasets"
GOLDEN_SIZE = 1200
TEST_SHARE = 0.25
REGRESSION_SIZE = 60
#: Version of the generator's output format and content; bump it when either changes.
GENERATOR_VERSION = 3
#: Changelog: 2 - order references are never dropped from a ticket whose label needs them.
#: 3 - a ticket written in another language keeps its adversarial sentence (injection,
#: conflicting instruction); version 2 dropped it while the labels still expected it.


def generate(seed: int = SEED) -> dict[str, list[dict[str, Any]]]:
    """Every dataset and the orders, as lists of JSON-able records."""
    try:
        import faker
    except ImportError as exc:
        raise SystemExit(
            "generating the refund datasets needs Faker: pip install 'earned[dev]'"
        ) from exc
    del faker
    from examples.refund_agent._datagen.adversarial import build_adversarial
    from examples.refund_agent._datagen.orders import OrderFactory
    from examples.refund_agent._datagen.scenarios import ScenarioMaker
    from examples.refund_agent._datagen.sets import build_golden, build_regression, build_tool_use

    from earned.demo._agent import classify as keyword_classify

    orders = OrderFactory(seed=seed)

    def maker(prefix: str, offset: int) -> ScenarioMaker:
        return ScenarioMaker(rng=random.Random(seed + offset), orders=orders, prefix=prefix)

    golden = build_golden(maker("golden", 1), GOLDEN_SIZE, TEST_SHARE)
    regression = build_regression(maker("regression", 2), keyword_classify, REGRESSION_SIZE)
    adversarial = build_adversarial(maker("adversarial", 3))
    tool_use = build_tool_use(maker("tool-use", 4))
    sets = {"golden": golden, "regression": regression, "adversarial": adversarial}
    check_references({**sets, "tool_use": tool_use})
    check_adversarial(adversarial)
    return {
        "golden": golden,
        "regression": regression,
        "adversarial": adversarial,
        "tool_use": tool_use,
        "orders": orders.orders,
    }


def check_adversarial(records: list[dict[str, Any]]) -> None:
    """Fail when an injection case's ticket text lost its injected sentence."""
    from examples.refund_agent._datagen.adversarial import INJECTIONS

    def norm(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", "", text.lower())

    def present(injection: str, text: str) -> bool:
        a, b = norm(injection), norm(text)
        match = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match()
        return match.size >= 0.3 * len(a)  # typos and shouting may break it up

    for record in records:
        text = record["input"]["text"]
        if "injection:ticket" in record["tags"] and not any(present(i, text) for i in INJECTIONS):
            raise AssertionError(f"{record['id']}: the injected sentence is missing: {text!r}")


def check_references(sets: dict[str, list[dict[str, Any]]]) -> None:
    """Fail when a case expects a decision but its ticket names no order (a labelling bug)."""
    for name, records in sets.items():
        for record in records:
            ticket = record["input"]
            digits = record["expected_decision"] and not ticket.get("order_id")
            if digits and not re.search(r"\d{5}", ticket["text"]):
                raise AssertionError(
                    f"{name} {record['id']}: expects decision {record['expected_decision']!r} "
                    f"but the ticket names no order: {ticket['text'][:120]!r}"
                )


def _manifest(sets: dict[str, list[dict[str, Any]]], seed: int) -> dict[str, Any]:
    import faker

    golden = sets["golden"]
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "faker_version": faker.VERSION,
        "as_of": "2026-03-20",
        "policy_version": "2026-02-01",
        "sizes": {name: len(records) for name, records in sets.items()},
        "golden_split": dict(sorted(Counter(r["split"] for r in golden).items())),
        "golden_classes": dict(sorted(Counter(r["expected_class"] for r in golden).items())),
        "golden_test_classes": dict(
            sorted(Counter(r["expected_class"] for r in golden if r["split"] == "test").items())
        ),
        "golden_decisions": dict(
            sorted(Counter(str(r["expected_decision"]) for r in golden).items())
        ),
    }


def write(directory: Path = DATASETS_DIR, seed: int = SEED) -> dict[str, Any]:
    """Generate and write every file; returns the manifest."""
    sets = generate(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for name, records in sets.items():
        lines = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in records]
        (directory / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest = _manifest(sets, seed)
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (directory / "manifest.json").write_text(text, encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATASETS_DIR, help="output directory")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed")
    args = parser.parse_args(argv)
    manifest = write(args.out, args.seed)
    print(json.dumps(manifest["sizes"], sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
