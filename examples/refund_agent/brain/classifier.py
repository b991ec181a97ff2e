"""The ticket classifier: TF-IDF word and character n-grams with logistic regression.

Trained on the golden train split only, in about a second; the fitted model is cached under
the cache directory, keyed by a digest of the training data, the configuration and the
scikit-learn version, so a changed dataset or library retrains it. Training is deterministic:
the same data gives the same model and the same probabilities.

The cache is a pickle written by this code: keep the cache directory private to the service.
"""

from __future__ import annotations

import json
import os
import pickle
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from examples.refund_agent.brain._sklearn import require

from earned.digest import digest

__all__ = ["CLASSES", "GOLDEN_PATH", "TicketClassifier", "load_split"]

CLASSES = ("account", "billing", "other", "refund", "technical")
GOLDEN_PATH = Path(__file__).resolve().parent.parent / "datasets" / "golden.jsonl"
#: Fixed before the first training run and not tuned on the test split.
CONFIG: dict[str, Any] = {
    "word_ngrams": [1, 2],
    "char_ngrams": [2, 5],
    "C": 10.0,
    "class_weight": "balanced",
    "version": 1,
}


def load_split(path: Path = GOLDEN_PATH, split: str = "train") -> list[tuple[str, str]]:
    """(text, class) pairs of one split of a labelled JSONL dataset."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("split", split) == split:
            pairs.append((record["input"]["text"], record["expected_class"]))
    return pairs


def _pipeline() -> Any:
    pipeline = require("sklearn.pipeline")
    text = require("sklearn.feature_extraction.text")
    linear = require("sklearn.linear_model")
    features = pipeline.FeatureUnion(
        [
            (
                "words",
                text.TfidfVectorizer(
                    ngram_range=tuple(CONFIG["word_ngrams"]), sublinear_tf=True, min_df=1
                ),
            ),
            (
                "chars",
                text.TfidfVectorizer(
                    analyzer="char_wb", ngram_range=tuple(CONFIG["char_ngrams"]), sublinear_tf=True
                ),
            ),
        ]
    )
    model = linear.LogisticRegression(
        C=CONFIG["C"], class_weight=CONFIG["class_weight"], max_iter=2000
    )
    return pipeline.Pipeline([("features", features), ("model", model)])


@dataclass(kw_only=True)
class TicketClassifier:
    """A fitted classifier: `predict(text)` gives the label, its probability and all scores."""

    pipeline: Any
    key: str
    trained_in: float

    @classmethod
    def train(cls, examples: Iterable[tuple[str, str]]) -> TicketClassifier:
        """Fit a new classifier on (text, class) pairs."""
        pairs = list(examples)
        started = time.perf_counter()
        pipeline = _pipeline()
        pipeline.fit([t for t, _ in pairs], [c for _, c in pairs])
        return cls(pipeline=pipeline, key=_key(pairs), trained_in=time.perf_counter() - started)

    @classmethod
    def load_or_train(cls, cache_dir: Path | None, dataset: Path = GOLDEN_PATH) -> TicketClassifier:
        """The cached classifier for `dataset`'s train split, training it when missing."""
        pairs = load_split(dataset, "train")
        path = None if cache_dir is None else cache_dir / f"classifier-{_key(pairs)[:16]}.pkl"
        if path is not None and path.is_file():
            with path.open("rb") as fh:
                loaded = pickle.load(fh)
            if isinstance(loaded, TicketClassifier) and loaded.key == _key(pairs):
                return loaded
        fitted = cls.train(pairs)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")  # writers in parallel never share it
            tmp.write_bytes(pickle.dumps(fitted))
            tmp.replace(path)
        return fitted

    @property
    def classes(self) -> tuple[str, ...]:
        """The labels, in the order of the scores."""
        return tuple(str(c) for c in self.pipeline.classes_)

    def predict(self, text: str) -> dict[str, Any]:
        """`{"label", "confidence", "scores"}` for one ticket text."""
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """Predictions for many texts at once."""
        out = []
        for row in self.pipeline.predict_proba(list(texts)):
            scores = {c: round(float(p), 4) for c, p in zip(self.classes, row, strict=True)}
            label = max(scores, key=lambda c: scores[c])
            out.append({"label": label, "confidence": scores[label], "scores": scores})
        return out


def _key(pairs: Sequence[tuple[str, str]]) -> str:
    sklearn = require("sklearn")
    return digest({"data": pairs, "config": CONFIG, "sklearn": sklearn.__version__})
