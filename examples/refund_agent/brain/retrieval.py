"""Policy-section retrieval: TF-IDF over the approved sections, cosine similarity.

`suggest(text)` gives the sections most like a ticket, with their ids and the policy version.
It suggests; it does not decide: the section a recommendation cites comes from the decision
rules applied to the order (see `rules.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from examples.refund_agent.brain._sklearn import require
from examples.refund_agent.brain.policy_doc import PolicyDocument, Section

__all__ = ["PolicyRetriever"]


@dataclass(kw_only=True)
class PolicyRetriever:
    """Finds the approved sections closest to a text."""

    document: PolicyDocument
    _sections: tuple[Section, ...] = field(init=False)
    _vectorizer: Any = field(init=False)
    _matrix: Any = field(init=False)

    def __post_init__(self) -> None:
        text = require("sklearn.feature_extraction.text")
        self._sections = self.document.approved
        self._vectorizer = text.TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, stop_words="english"
        )
        corpus = [f"{s.chapter} {s.title} {s.title} {s.text}" for s in self._sections]
        self._matrix = self._vectorizer.fit_transform(corpus)

    def suggest(self, text: str, k: int = 3) -> dict[str, Any]:
        """`{"policy_version", "sections": [{"section", "title", "score"}]}`, best first."""
        query = self._vectorizer.transform([text])
        scores = (self._matrix @ query.T).toarray().ravel()
        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
        return {
            "policy_version": self.document.version,
            "sections": [
                {
                    "section": self._sections[i].id,
                    "title": self._sections[i].title,
                    "score": round(float(scores[i]), 4),
                }
                for i in ranked
                if scores[i] > 0
            ],
        }
