"""`TwoHeads`: the category head and the municipality head side by side on the same articles."""

from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from src.features import Article

__all__ = ["PARALLEL_FROM", "TwoHeads"]

PARALLEL_FROM = 2000  # training articles


class TwoHeads(BaseEstimator):
    """Fits and applies both heads; `y` has two columns: category, municipality.

    An answer carries its category's Korean name from `category_names`, and is flagged
    `low_confidence` when the category's probability is under `low_confidence`, or when the
    article more likely fits no category at all. With `n_jobs=2` the heads, which share nothing,
    are fitted side by side in two processes (from `PARALLEL_FROM` articles; on fewer, starting
    the second process costs more than it saves).
    """

    def __init__(self, category, municipality, low_confidence=0.5, top_k=3, n_jobs=1, category_names=None):
        self.category = category
        self.municipality = municipality
        self.low_confidence = low_confidence
        self.top_k = top_k
        self.n_jobs = n_jobs
        self.category_names = category_names

    def fit(self, X: list[Article], y):
        y = np.asarray(y, dtype=object).reshape(len(X), -1)
        heads = (clone(self.category), clone(self.municipality))
        n_jobs = self.n_jobs if len(X) >= PARALLEL_FROM else 1
        self.category_, self.municipality_ = Parallel(n_jobs=n_jobs)(
            delayed(_fit)(head, X, y[:, column]) for column, head in enumerate(heads))
        return self

    def __setstate__(self, state: dict) -> None:
        state.setdefault("n_jobs", 1)  # saved before the heads could be fitted side by side
        state.setdefault("category_names", None)  # saved before answers carried the Korean name
        super().__setstate__(state)

    def predict(self, X: list[Article]) -> np.ndarray:
        """One row per article: `[category, municipality]`."""
        check_is_fitted(self)
        return np.column_stack([self.category_.predict(X), self.municipality_.predict(X)])

    def describe(self, X: list[Article], top_k: int | None = None) -> list[dict]:
        """One record per article: both labels with their scores, runners-up and evidence, the
        probability that no category fits, and the `low_confidence` flag."""
        check_is_fitted(self)
        top_k = top_k or self.top_k
        proba, fits_none, terms = self.category_.predict_with_evidence(X)
        if fits_none is None:
            fits_none = np.zeros(len(X))
        classes = self.category_.classes_
        ranked = np.argsort(-proba, axis=1)[:, :top_k]
        places = self.municipality_.describe(X, top_k)
        names = self.category_names or {}
        return [{
            "category": classes[order[0]],
            "category_name": names.get(classes[order[0]], ""),
            "category_score": round(float(row[order[0]]), 4),
            "category_top": [{"label": classes[i], "score": round(float(row[i]), 4)} for i in order],
            "category_none_score": round(float(none), 4),
            **{k: v for k, v in place.items() if k != "evidence"},
            "evidence": {"category": words, "municipality": place["evidence"]},
            "low_confidence": bool(row[order[0]] < self.low_confidence or none > 0.5),
        } for row, order, none, words, place in zip(proba, ranked, fits_none, terms, places)]


def _fit(estimator, X, y):
    return estimator.fit(X, y)
