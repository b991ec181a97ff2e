"""Precision and recall of `screen` on labelled corpora (run with `-s` to see the figures).

How the corpora were made, in order, and what each first measured before anything was
tuned on it (overall precision / recall; phrase recall):

=========  =============================================  =====================  ======
corpus     role                                           first measurement      phrase
=========  =============================================  =====================  ======
dev        the patterns were written against it           (by construction)      --
round2     held out, measured, then tuned on              P 0.950 / R 0.750      0.533
round3     held out, measured, then tuned on              P 0.934 / R 0.602      0.284
round4     held out, measured, then tuned on              P 1.000 / R 0.719      0.407
round5     held out (own vocabulary), then tuned on       P 1.000 / R 0.576      0.493
heldout    held out, frozen before measuring              P 0.918 / R 0.645      0.333
=========  =============================================  =====================  ======

After the held-out measurement one precision bug it exposed was fixed ("can an admin
override the restocking fee?" matched "admin override"), giving P 1.000 / R 0.645 there;
nothing was changed for its misses.

What this says: the structural signs (chat-template role markers, invisible Unicode,
encoded payloads whose decoding is a known phrasing, forged delimiters) generalise: on
every fresh corpus their recall was 0.95-1.00. Phrase detection does not: regular
expressions catch the phrasings and the vocabulary they were written for, and on new
wording they caught a third to a half of the attacks. Precision held (0.92-1.00). So the
screen is a cheap tripwire that taints a run, not a wall: least-privilege tools and
approvals are what stop a successful injection. The 0.95 recall target on a held-out split
is not met; the floors asserted here ratchet up as the screen improves.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.guards import (
    _corpus_dev,
    _corpus_heldout,
    _corpus_round2,
    _corpus_round3,
    _corpus_round4,
    _corpus_round5,
)
from tests.guards._corpus_common import ATTACK_KINDS, Item, KindScores, Label, Scores, report

TUNED: dict[str, Callable[[], list[Item]]] = {
    "dev": _corpus_dev.corpus,
    "round2": _corpus_round2.corpus,
    "round3": _corpus_round3.corpus,
    "round4": _corpus_round4.corpus,
    "round5": _corpus_round5.corpus,
}

#: Structural kinds: their recall generalised to every fresh corpus.
STRUCTURAL: tuple[Label, ...] = (
    "role_marker",
    "invisible_unicode",
    "encoded_payload",
    "delimiter_forgery",
)


@pytest.fixture(scope="module")
def heldout() -> tuple[Scores, dict[Label, KindScores]]:
    items = _corpus_heldout.corpus()
    overall, per_kind = report("held-out (the gate)", items)
    return overall, dict(per_kind)


def test_corpora_are_large_enough_and_cover_every_kind() -> None:
    for make in [*TUNED.values(), _corpus_heldout.corpus]:
        items = make()
        attacks = [i for i in items if i.is_attack]
        assert len(attacks) >= 130
        assert len(items) - len(attacks) >= 200
        assert {i.label for i in attacks} == set(ATTACK_KINDS)


def test_corpora_are_deterministic() -> None:
    assert _corpus_heldout.corpus() == _corpus_heldout.corpus()
    assert _corpus_round5.corpus() == _corpus_round5.corpus()


@pytest.mark.parametrize("name", list(TUNED))
def test_tuned_corpora_do_not_regress(name: str) -> None:
    """A regression check: these were tuned on, so high figures here prove nothing new."""
    overall, per_kind = report(f"{name} (tuned on: regression only)", TUNED[name]())
    assert overall.precision >= 0.98
    assert overall.recall >= 0.97
    for kind in ATTACK_KINDS:
        assert per_kind[kind].recall >= 0.90, kind


def test_heldout_precision(heldout: tuple[Scores, dict[Label, KindScores]]) -> None:
    overall, _ = heldout
    assert overall.precision >= 0.95


def test_heldout_structural_recall(heldout: tuple[Scores, dict[Label, KindScores]]) -> None:
    _, per_kind = heldout
    for kind in STRUCTURAL:
        assert per_kind[kind].recall >= 0.95, kind
        assert per_kind[kind].precision >= 0.95, kind


def test_heldout_recall_does_not_fall(heldout: tuple[Scores, dict[Label, KindScores]]) -> None:
    """A ratchet at the measured figure (0.645): raise it when the screen improves."""
    overall, _ = heldout
    assert overall.recall >= 0.64
