"""The ticket classifier: trained on the golden train split only, deterministic, cached.

The accuracy floors below are the measured figures reported in docs/refund_agent.md, so a
change that makes the classifier worse fails here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from examples.refund_agent.brain.classifier import GOLDEN_PATH, TicketClassifier, load_split


@pytest.fixture(scope="module")
def trained() -> TicketClassifier:
    return TicketClassifier.train(load_split(GOLDEN_PATH, "train"))


def _per_class(classifier: TicketClassifier, split: str) -> dict[str, float]:
    pairs = load_split(GOLDEN_PATH, split)
    hits: dict[str, list[bool]] = defaultdict(list)
    for (_text, label), got in zip(
        pairs, classifier.predict_many([t for t, _ in pairs]), strict=True
    ):
        hits[label].append(got["label"] == label)
    return {label: sum(v) / len(v) for label, v in hits.items()}


def test_it_trains_on_the_900_train_tickets_only() -> None:
    train, test = load_split(GOLDEN_PATH, "train"), load_split(GOLDEN_PATH, "test")
    assert (len(train), len(test)) == (900, 300)
    assert not {t for t, _ in train} & {t for t, _ in test}


def test_training_is_deterministic(trained: TicketClassifier) -> None:
    again = TicketClassifier.train(load_split(GOLDEN_PATH, "train"))
    texts = ["refund my order ord_12345 please", "app crashes", "charged twice", "hola"]
    assert trained.predict_many(texts) == again.predict_many(texts)
    assert trained.key == again.key


def test_per_class_accuracy_on_the_golden_test_split(trained: TicketClassifier) -> None:
    accuracy = _per_class(trained, "test")
    assert set(accuracy) == {"refund", "billing", "account", "technical", "other"}
    assert min(accuracy.values()) >= 0.97, accuracy


@pytest.mark.slow
def test_on_phrasings_it_never_saw_it_is_much_weaker() -> None:
    from sklearn.model_selection import GroupKFold

    records = [json.loads(line) for line in GOLDEN_PATH.read_text().splitlines()]
    groups = [next(t for t in r["tags"] if t.startswith("template:")) for r in records]
    hits: dict[str, list[bool]] = defaultdict(list)
    for train, test in GroupKFold(n_splits=5).split(records, groups=groups):
        model = TicketClassifier.train(
            [(records[i]["input"]["text"], records[i]["expected_class"]) for i in train]
        )
        predictions = model.predict_many([records[i]["input"]["text"] for i in test])
        for i, got in zip(test, predictions, strict=True):
            label = records[i]["expected_class"]
            hits[label].append(got["label"] == label)
    accuracy = {label: sum(v) / len(v) for label, v in hits.items()}
    overall = sum(sum(v) for v in hits.values()) / len(records)
    assert 0.80 <= overall < 0.95, accuracy  # the seed's 95% gate is not met on new phrasings
    assert accuracy["refund"] >= 0.95
    assert accuracy["other"] < 0.90  # the weakest class: the gate's "any class below 90%"


def test_confidence_is_the_winning_probability(trained: TicketClassifier) -> None:
    got = trained.predict("I want my money back for the broken kettle, order ord_12345")
    assert got["label"] == "refund"
    assert got["confidence"] == max(got["scores"].values())
    assert abs(sum(got["scores"].values()) - 1) < 1e-3


def test_the_cache_is_reused_and_keyed_by_the_training_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = TicketClassifier.load_or_train(tmp_path)
    (cached,) = tmp_path.glob("classifier-*.pkl")

    def no_training(*args: object) -> TicketClassifier:
        raise AssertionError("retrained although the cache is valid")

    monkeypatch.setattr(TicketClassifier, "train", classmethod(no_training))
    second = TicketClassifier.load_or_train(tmp_path)
    assert second.key == first.key
    assert cached.name == f"classifier-{first.key[:16]}.pkl"


def test_a_missing_scikit_learn_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from examples.refund_agent.brain._sklearn import MissingExtraError, require

    monkeypatch.setitem(sys.modules, "sklearn.pipeline", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'earned\[refund\]'"):
        require("sklearn.pipeline")
