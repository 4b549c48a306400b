"""The category head: TF-IDF over morphemes (and optionally characters) → a calibrated linear model."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from src.errors import DataError
from src.features import Article, CharNgramTfidf, MorphemeTfidf

__all__ = ["CategoryClassifier"]


class CategoryClassifier(ClassifierMixin, BaseEstimator):
    """Articles → one of the categories, with calibrated probabilities.

    Articles labelled `none_label` (fitting no category) are not a class: they train a separate
    detector whose probability says how likely an article fits none of the categories.

    classifier: `linear_svc`, `logistic_regression`, `sgd` or `complement_nb`.
    C / alpha: regularisation of the chosen classifier.
    calibration, calibration_folds: how scores become probabilities (cross-validated).
    word_ngram, word_min_df, sublinear_tf: TF-IDF over the articles' morphemes.
    char_ngram, char_max_chars: optional character n-grams over title + start of text.
    """

    def __init__(self, classifier="linear_svc", C=0.5, alpha=1e-4, class_weight="balanced",
                 calibration="sigmoid", calibration_folds=5, word_ngram=(1, 2), word_min_df=2,
                 sublinear_tf=False, char_ngram=None, char_max_chars=1500, none_label="other",
                 random_state=0):
        self.classifier = classifier
        self.C = C
        self.alpha = alpha
        self.class_weight = class_weight
        self.calibration = calibration
        self.calibration_folds = calibration_folds
        self.word_ngram = word_ngram
        self.word_min_df = word_min_df
        self.sublinear_tf = sublinear_tf
        self.char_ngram = char_ngram
        self.char_max_chars = char_max_chars
        self.none_label = none_label
        self.random_state = random_state

    def fit(self, X: list[Article], y):
        y = np.asarray(y, dtype=object)
        fits = y != self.none_label
        self.features_ = self._features(len(X))
        features = self.features_.fit_transform(X)
        self.classifier_ = self._calibrated(y[fits]).fit(features[fits], y[fits])
        self.classes_ = self.classifier_.classes_
        self.word_names_ = self.features_.transformer_list[0][1].get_feature_names_out()
        self.none_detector_ = None
        if (~fits).any():
            self.none_detector_ = LogisticRegression(class_weight="balanced", solver="liblinear",
                                                     random_state=self.random_state)
            self.none_detector_.fit(features, ~fits)
        return self

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())
        state.pop("word_names_", None)  # joblib would unpickle its strings one by one: rebuilt on loading
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if hasattr(self, "features_"):
            self.word_names_ = self.features_.transformer_list[0][1].get_feature_names_out()

    def predict_proba(self, X: list[Article]) -> np.ndarray:
        check_is_fitted(self)
        return self.classifier_.predict_proba(self.features_.transform(X))

    def predict(self, X: list[Article]) -> np.ndarray:
        best = self.predict_proba(X).argmax(axis=1)
        return self.classes_[best]

    def predict_with_evidence(self, X: list[Article], n_terms: int = 5):
        """Category probabilities, the probability of fitting no category (None without such
        training articles), and per article the morpheme n-grams that pushed its top category."""
        check_is_fitted(self)
        features = self.features_.transform(X)
        proba = self.classifier_.predict_proba(features)
        fits_none = self.none_detector_.predict_proba(features)[:, 1] if self.none_detector_ else None
        names = self.word_names_
        weights = self._word_weights(len(names))
        evidence = []
        for row, best in zip(features[:, :len(names)].tocsr(), proba.argmax(axis=1)):
            push = row.data * weights[best, row.indices]
            top = np.argsort(-push)[:n_terms]
            evidence.append([str(names[row.indices[i]]) for i in top if push[i] > 0])
        return proba, fits_none, evidence

    def _word_weights(self, n_words: int) -> np.ndarray:
        """Per class, how much each word feature raises its score (before calibration)."""
        base = self.classifier_.calibrated_classifiers_[0].estimator
        weights = base.coef_ if hasattr(base, "coef_") else base.feature_log_prob_
        if weights.shape[0] == 1:  # a binary linear model scores only the second class
            weights = np.vstack([-weights, weights])
        return np.asarray(weights)[:, :n_words]

    def _features(self, n_docs: int) -> FeatureUnion:
        parts = [("words", MorphemeTfidf(ngram_range=tuple(self.word_ngram), min_df=min(self.word_min_df, n_docs),
                                          sublinear_tf=self.sublinear_tf))]
        if self.char_ngram:
            parts.append(("chars", CharNgramTfidf(ngram_range=tuple(self.char_ngram),
                                                  max_chars=self.char_max_chars)))
        return FeatureUnion(parts)

    def _calibrated(self, y: np.ndarray) -> CalibratedClassifierCV:
        labels, counts = np.unique(y, return_counts=True)
        if len(labels) < 2:
            raise DataError("the category head needs at least two categories in the training data")
        if counts.min() < 2:
            rare = ", ".join(labels[counts < 2])
            raise DataError(f"categories with a single training article cannot be calibrated: {rare}")
        folds = min(self.calibration_folds, int(counts.min()))
        if folds < self.calibration_folds:
            warnings.warn(f"only {counts.min()} articles in the rarest category: "
                          f"calibrating with {folds} folds instead of {self.calibration_folds}")
        cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        return CalibratedClassifierCV(self._base_classifier(), method=self.calibration, cv=cv,
                                      ensemble=False)

    def _base_classifier(self):
        if self.classifier == "linear_svc":
            return LinearSVC(C=self.C, class_weight=self.class_weight, random_state=self.random_state)
        if self.classifier == "logistic_regression":
            return LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=3000)
        if self.classifier == "sgd":
            return SGDClassifier(loss="modified_huber", alpha=self.alpha,
                                 class_weight=self.class_weight, random_state=self.random_state)
        if self.classifier == "complement_nb":
            return ComplementNB(alpha=self.alpha)
        raise ValueError(f"unknown classifier {self.classifier!r}")
