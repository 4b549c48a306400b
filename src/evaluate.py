"""Metrics of a trained tagger, overall and per class, with the report files of a run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, f1_score

from src.config import Taxonomy

if TYPE_CHECKING:
    import pandas as pd


def category_scores(y_true: Sequence[str], y_pred: Sequence[str], y_alt: Sequence[str],
                    labels: Sequence[str]) -> dict[str, float]:
    """Macro-F1, accuracy, accuracy when the second label counts too, and F1 per category."""
    y_true, y_pred, y_alt = (np.asarray(v, dtype=object) for v in (y_true, y_pred, y_alt))
    per_class = f1_score(y_true, y_pred, labels=list(labels), average=None, zero_division=0)
    scores = {
        "category_macro_f1": f1_score(y_true, y_pred, labels=list(labels), average="macro",
                                      zero_division=0),
        "category_accuracy": accuracy_score(y_true, y_pred),
        "category_accuracy_with_alt": np.mean((y_pred == y_true) | (y_pred == y_alt)),
    }
    scores.update({f"category_f1_{label}": score for label, score in zip(labels, per_class)})
    return {name: float(value) for name, value in scores.items()}


def municipality_scores(y_true: Sequence[str], y_pred: Sequence[str], none_label: str,
                        seen_in_training: Iterable[str] = ()) -> dict[str, float]:
    """Accuracy, precision and recall of `none_label`, and accuracy on governments unseen in training."""
    y_true, y_pred = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    hit_none = np.sum((y_pred == none_label) & (y_true == none_label))
    scores = {
        "municipality_accuracy": float(np.mean(y_true == y_pred)),
        "municipality_none_precision": float(hit_none / max(np.sum(y_pred == none_label), 1)),
        "municipality_none_recall": float(hit_none / max(np.sum(y_true == none_label), 1)),
    }
    seen = set(seen_in_training)
    if seen:
        unseen = np.array([label not in seen for label in y_true])
        scores["municipality_unseen_articles"] = float(unseen.sum())
        if unseen.any():
            scores["municipality_accuracy_unseen"] = float(np.mean(y_true[unseen] == y_pred[unseen]))
    return scores


def confidence_scores(confidence: np.ndarray, correct: np.ndarray, is_none: np.ndarray,
                      threshold: float) -> dict[str, float]:
    """How the low-confidence flag behaves: overall, on mistakes, and on articles fitting no category."""
    flagged = confidence < threshold
    scores = {"low_confidence_share": float(flagged[~is_none].mean()) if (~is_none).any() else 0.0}
    wrong = ~correct & ~is_none
    if wrong.any():
        scores["low_confidence_share_of_errors"] = float(flagged[wrong].mean())
    if is_none.any():
        scores["low_confidence_share_of_none"] = float(flagged[is_none].mean())
    return scores


def evaluate_records(records: list[dict], frame: "pd.DataFrame", taxonomy: Taxonomy,
                     threshold: float, report_dir: Path,
                     seen_municipalities: Iterable[str] = ()) -> dict[str, float]:
    """Score predicted `records` against the labelled `frame`; write the report files."""
    from src.plots import plot_confusion_matrix

    truth = _column(frame, "category")
    alt = _column(frame, "category_alt")
    predicted = np.array([r["category"] for r in records], dtype=object)
    confidence = np.array([r["category_score"] for r in records])
    is_none = truth == taxonomy.none_label
    labels = [c for c in taxonomy.categories if c in set(truth[~is_none]) | set(predicted)]

    scores = category_scores(truth[~is_none], predicted[~is_none], alt[~is_none], labels)
    scores |= confidence_scores(confidence, (predicted == truth) | (predicted == alt), is_none, threshold)
    places = np.array([r["municipality"] for r in records], dtype=object)
    place_truth = _column(frame, "municipality")
    scores |= municipality_scores(place_truth, places, taxonomy.no_municipality, seen_municipalities)

    (report_dir / "classification_report.txt").write_text(
        classification_report(truth[~is_none], predicted[~is_none], labels=labels, digits=3,
                              zero_division=0), encoding="utf-8")
    plot_confusion_matrix(truth[~is_none], predicted[~is_none], labels, taxonomy.categories,
                          report_dir / "confusion_matrix.png")
    _write_mistakes(frame, (predicted != truth) & ~is_none, predicted=predicted, score=confidence,
                    path=report_dir / "category_mistakes.csv")
    _write_mistakes(frame, places != place_truth, predicted_municipality=places,
                    score=np.array([r["municipality_score"] for r in records]),
                    evidence=np.array([" | ".join(r["evidence"]["municipality"]) for r in records], dtype=object),
                    path=report_dir / "municipality_mistakes.csv")
    return scores


def _column(frame: "pd.DataFrame", name: str) -> np.ndarray:
    return np.asarray(frame[name].tolist(), dtype=object)


def _write_mistakes(frame: "pd.DataFrame", wrong: np.ndarray, path: Path, **extra: np.ndarray) -> None:
    columns = [c for c in ("uid", "source_set", "title", "category", "category_alt", "municipality")
               if c in frame.columns]
    table = frame.loc[wrong, columns].assign(**{name: values[wrong] for name, values in extra.items()})
    table.to_csv(path, index=False, encoding="utf-8-sig")
