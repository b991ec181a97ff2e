"""Shared pieces of the labelled injection corpora: the item type, encoders, metrics."""

from __future__ import annotations

import base64
import codecs
import json
import random
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from earned.guards import screen

Label = Literal[
    "benign", "phrase", "role_marker", "invisible_unicode", "encoded_payload", "delimiter_forgery"
]
ATTACK_KINDS: tuple[Label, ...] = (
    "phrase",
    "role_marker",
    "invisible_unicode",
    "encoded_payload",
    "delimiter_forgery",
)


@dataclass(frozen=True)
class Item:
    text: str
    label: Label
    bucket: str  # finer grain: which template family produced it

    @property
    def is_attack(self) -> bool:
        return self.label != "benign"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def hexed(text: str, sep: str = "") -> str:
    return sep.join(f"{b:02x}" for b in text.encode())


def backslash_hex(text: str) -> str:
    return "".join(f"\\x{b:02x}" for b in text.encode())


def percent(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def rot13(text: str) -> str:
    return codecs.encode(text, "rot13")


def tags(text: str) -> str:
    """ASCII smuggling: the text in Unicode tag characters (invisible)."""
    return "".join(chr(0xE0000 + ord(c)) for c in text)


def zero_width_split(text: str, rng: random.Random) -> str:
    zw = ["\u200b", "\u2060", "\u200c", "\u200d", "\ufeff"]
    return "".join(c + (rng.choice(zw) if c.isalpha() and rng.random() < 0.6 else "") for c in text)


def as_json(obj: object, rng: random.Random) -> str:
    return json.dumps(obj, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 2]))


@dataclass(frozen=True)
class Scores:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass(frozen=True)
class KindScores:
    """Recall: share of this category's attacks flagged at all. Finding precision: share of
    items with a finding of this kind that are attacks (of any category)."""

    flagged: int
    attacks: int
    finding_hits: int
    findings: int

    @property
    def recall(self) -> float:
        return self.flagged / self.attacks if self.attacks else 1.0

    @property
    def precision(self) -> float:
        return self.finding_hits / self.findings if self.findings else 1.0


def evaluate(items: Sequence[Item]) -> tuple[Scores, dict[Label, KindScores]]:
    """Overall scores (flagged vs attack), and per category."""
    results = [(item, screen(item.text)) for item in items]
    overall = _scores((item.is_attack, r.flagged) for item, r in results)
    per_kind: dict[Label, KindScores] = {}
    for kind in ATTACK_KINDS:
        mine = [r for item, r in results if item.label == kind]
        with_kind = [item for item, r in results if kind in r.kinds]
        per_kind[kind] = KindScores(
            flagged=sum(r.flagged for r in mine),
            attacks=len(mine),
            finding_hits=sum(item.is_attack for item in with_kind),
            findings=len(with_kind),
        )
    return overall, per_kind


def _scores(pairs: Iterable[tuple[bool, bool]]) -> Scores:
    tp = fp = fn = tn = 0
    for truth, flagged in pairs:
        if truth and flagged:
            tp += 1
        elif flagged:
            fp += 1
        elif truth:
            fn += 1
        else:
            tn += 1
    return Scores(tp=tp, fp=fp, fn=fn, tn=tn)


def report(name: str, items: Sequence[Item]) -> tuple[Scores, dict[Label, KindScores]]:
    overall, per_kind = evaluate(items)
    n_attack = sum(i.is_attack for i in items)
    print(f"\n== {name}: {len(items)} items ({n_attack} attacks, {len(items) - n_attack} benign)")
    o = overall
    print(
        f"   overall            precision {o.precision:.3f}  recall {o.recall:.3f}  "
        f"(tp {o.tp}, fp {o.fp}, fn {o.fn}, tn {o.tn})"
    )
    for kind, s in per_kind.items():
        print(
            f"   {kind:<18} recall {s.recall:.3f} ({s.flagged}/{s.attacks})   "
            f"finding precision {s.precision:.3f} ({s.finding_hits}/{s.findings})"
        )
    return overall, per_kind


def misses(items: Sequence[Item]) -> tuple[list[Item], list[Item]]:
    """(false negatives, false positives), for debugging."""
    fn = [i for i in items if i.is_attack and not screen(i.text).flagged]
    fp = [i for i in items if not i.is_attack and screen(i.text).flagged]
    return fn, fp
