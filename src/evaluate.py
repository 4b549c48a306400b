"""Metrics of a trained tagger, overall, per class and per source, with the report files of a run.

    python -m src.evaluate --model models/ --data test.jsonl     (or --model models:/NAME@ALIAS)

evaluates a model on any labelled file and logs an evaluation run to MLflow.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, NamedTuple, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, f1_score

from src.config import MODEL_DIR, Taxonomy, load_taxonomy
from src.cli import Once, run
from src.errors import DataError

log = logging.getLogger("src.evaluate")
_CALIBRATION_BINS = 10
_WORST_MISTAKES = 50

if TYPE_CHECKING:
    import pandas as pd

    from src.dataset import LoadReport


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
    """Accuracy, precision and recall of `none_label`, and accuracy on governments unseen in training.
    Precision is left out when nothing was tagged `none_label`, recall when nothing should have been
    (a press office's own releases): there they are undefined, not 0."""
    y_true, y_pred = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    hit_none = np.sum((y_pred == none_label) & (y_true == none_label))
    scores = {"municipality_accuracy": float(np.mean(y_true == y_pred))}
    for name, said_none in (("precision", y_pred == none_label), ("recall", y_true == none_label)):
        if said_none.any():
            scores[f"municipality_none_{name}"] = float(hit_none / said_none.sum())
    seen = set(seen_in_training)
    if seen:
        unseen = np.array([label not in seen for label in y_true])
        scores["municipality_unseen_articles"] = float(unseen.sum())
        if unseen.any():
            scores["municipality_accuracy_unseen"] = float(np.mean(y_true[unseen] == y_pred[unseen]))
    return scores


def confidence_scores(flagged: np.ndarray, correct: np.ndarray, is_none: np.ndarray) -> dict[str, float]:
    """How the low-confidence flag behaves: overall, on mistakes, and on articles fitting no category."""
    scores = {}
    if (~is_none).any():
        scores["low_confidence_share"] = float(flagged[~is_none].mean())
    wrong = ~correct & ~is_none
    if wrong.any():
        scores["low_confidence_share_of_errors"] = float(flagged[wrong].mean())
    if (~wrong & ~is_none).any():
        scores["low_confidence_share_of_correct"] = float(flagged[~wrong & ~is_none].mean())
    if is_none.any():
        scores["low_confidence_share_of_none"] = float(flagged[is_none].mean())
    return scores


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = _CALIBRATION_BINS):
    """Per confidence bin: centre, accuracy and mean confidence (NaN when empty), share of answers."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.bincount(which, weights=correct.astype(float), minlength=bins) / counts
        mean_confidence = np.bincount(which, weights=confidence, minlength=bins) / counts
    return (edges[:-1] + edges[1:]) / 2, accuracy, mean_confidence, counts / max(len(confidence), 1)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = _CALIBRATION_BINS) -> float:
    """Mean gap between stated confidence and accuracy, weighted by the answers in each bin."""
    _, accuracy, mean_confidence, share = reliability(confidence, correct, bins)
    filled = share > 0
    return float(np.sum(share[filled] * np.abs(mean_confidence[filled] - accuracy[filled])))


def source_scores(frame: "pd.DataFrame", category: np.ndarray, municipality: np.ndarray,
                  none_label: str) -> dict[str, float]:
    """Category macro-F1 and municipality accuracy for each `source_set` of the data (of the
    labels it has)."""
    if "source_set" not in frame.columns:
        return {}
    sources = _column(frame, "source_set")
    truth, places = _column(frame, "category"), _column(frame, "municipality")
    scores = {}
    for source in sorted(set(sources)):
        rows = sources == source
        labelled = rows & (truth != none_label) & (truth != "")
        if has_labels(frame, "municipality"):
            scores[f"source_{source}_municipality_accuracy"] = float(np.mean(places[rows] == municipality[rows]))
        if labelled.any():
            scores[f"source_{source}_category_macro_f1"] = float(
                f1_score(truth[labelled], category[labelled], average="macro", zero_division=0))
    return scores


def score_records(records: list[dict], frame: "pd.DataFrame", taxonomy: Taxonomy,
                  seen_municipalities: Iterable[str] = ()) -> dict[str, float]:
    """Every figure of predicted `records` against the labelled `frame`: of both heads, or of the
    one whose labels the frame has."""
    truth, alt, predicted, confidence, places, is_none = _answers(records, frame, taxonomy)
    scores = {}
    if has_labels(frame, "category"):
        flagged = np.array([r["low_confidence"] for r in records])
        scores |= confidence_scores(flagged, (predicted == truth) | (predicted == alt), is_none)
    if has_categories(frame, taxonomy):
        scores |= category_scores(truth[~is_none], predicted[~is_none], alt[~is_none],
                                  _labels(taxonomy, truth[~is_none], predicted))
        scores["category_calibration_error"] = expected_calibration_error(
            confidence[~is_none], (predicted == truth)[~is_none])
    if has_labels(frame, "municipality"):
        scores |= municipality_scores(_column(frame, "municipality"), places, taxonomy.no_municipality,
                                      seen_municipalities)
    return scores | source_scores(frame, predicted, places, taxonomy.none_label)


def has_labels(frame: "pd.DataFrame", name: str) -> bool:
    """Whether the articles are labelled with `name` (an evaluation file may leave one label out)."""
    return any(_column(frame, name))


def has_categories(frame: "pd.DataFrame", taxonomy: Taxonomy) -> bool:
    """Whether some article has a category to score (not only articles that fit none)."""
    return any(label not in ("", taxonomy.none_label) for label in _column(frame, "category"))


def write_reports(records: list[dict], frame: "pd.DataFrame", taxonomy: Taxonomy, report_dir: Path) -> None:
    """Confusion matrix, reliability diagram, classification report and mistakes as CSV."""
    from src.plots import plot_confusion_matrix, plot_reliability

    truth, alt, predicted, confidence, places, is_none = _answers(records, frame, taxonomy)
    if has_labels(frame, "municipality"):
        _write_mistakes(frame, places != _column(frame, "municipality"), predicted_municipality=places,
                        score=np.array([r["municipality_score"] for r in records]),
                        evidence=np.array([" | ".join(r["evidence"]["municipality"]) for r in records], dtype=object),
                        path=report_dir / "municipality_mistakes.csv")
    if not has_categories(frame, taxonomy):
        return
    labels = _labels(taxonomy, truth[~is_none], predicted)
    (report_dir / "classification_report.txt").write_text(
        classification_report(truth[~is_none], predicted[~is_none], labels=labels, digits=3,
                              zero_division=0), encoding="utf-8")
    plot_confusion_matrix(truth[~is_none], predicted[~is_none], labels, taxonomy.categories,
                          report_dir / "confusion_matrix.png")
    centres, accuracy, _, share = reliability(confidence[~is_none], (predicted == truth)[~is_none])
    plot_reliability(centres, accuracy, share, report_dir / "reliability.png")
    _write_mistakes(frame, (predicted != truth) & ~is_none, predicted=predicted, score=confidence,
                    path=report_dir / "category_mistakes.csv")
    _write_mistakes(frame, (predicted != truth) & (predicted != alt) & ~is_none, predicted=predicted,
                    score=confidence, path=report_dir / "worst_mistakes.csv", worst=_WORST_MISTAKES)


class _Answers(NamedTuple):
    """The labels of the articles and the answers given, as arrays in article order."""

    truth: np.ndarray
    alt: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray
    places: np.ndarray
    is_none: np.ndarray  # labelled as fitting no category


def _answers(records: list[dict], frame: "pd.DataFrame", taxonomy: Taxonomy) -> _Answers:
    truth = _column(frame, "category")
    return _Answers(truth, _column(frame, "category_alt"),
                    np.array([r["category"] for r in records], dtype=object),
                    np.array([r["category_score"] for r in records]),
                    np.array([r["municipality"] for r in records], dtype=object),
                    truth == taxonomy.none_label)


def _labels(taxonomy: Taxonomy, truth: np.ndarray, predicted: np.ndarray) -> list[str]:
    return [c for c in taxonomy.categories if c in set(truth) | set(predicted)]


def _column(frame: "pd.DataFrame", name: str) -> np.ndarray:
    return np.asarray(frame[name].tolist(), dtype=object)


def _write_mistakes(frame: "pd.DataFrame", wrong: np.ndarray, path: Path, worst: int | None = None,
                    **extra: np.ndarray) -> None:
    """The wrong rows with what was predicted; with `worst`, only the most confident ones."""
    columns = [c for c in ("uid", "source_set", "title", "category", "category_alt", "municipality")
               if c in frame.columns]
    table = frame.loc[wrong, columns].assign(**{name: values[wrong] for name, values in extra.items()})
    if worst is not None:
        table = table.sort_values("score", ascending=False).head(worst)
    table.to_csv(path, index=False, encoding="utf-8-sig")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m src.evaluate",
                                     description="Evaluate a trained tagger on a labelled file.")
    parser.add_argument("--model", action=Once, default=str(MODEL_DIR), help="model directory or models:/NAME@ALIAS")
    parser.add_argument("--data", action=Once, type=Path, required=True, help="labelled JSONL, CSV or Parquet")
    parser.add_argument("--on-error", action=Once, choices=("fail", "skip"), default="fail",
                        help="a bad record stops the evaluation, or is skipped and counted")
    parser.add_argument("--no-track", action="store_true", help="do not log an MLflow run")
    return run(parser, argv, _evaluate_and_print)


def _evaluate_and_print(args: argparse.Namespace) -> int:
    evaluation = score_model(args.model, args.data, args.on_error)
    print("\n".join(f"{name:48} {value:.4f}" for name, value in evaluation.scores.items()))
    if not args.no_track:  # after the figures: a store that fails loses none of them
        log_evaluation(evaluation, args.model, args.data)
    return 0


class Evaluation(NamedTuple):
    scores: dict[str, float]
    records: list[dict]
    frame: "pd.DataFrame"
    taxonomy: Taxonomy
    card: dict
    skipped: int = 0  # bad records skipped with on_error="skip"


def evaluate_model(source: str, data: Path, on_error: str = "fail", track: bool = True) -> dict[str, float]:
    """Tag every article of a labelled file with the model at `source`, score the answers and
    (with `track`) log them as an MLflow run."""
    evaluation = score_model(source, data, on_error)
    if track:
        log_evaluation(evaluation, source, data)
    return evaluation.scores


def score_model(source: str, data: Path, on_error: str = "fail") -> Evaluation:
    """The figures of the model at `source` on the labelled file `data`; a file labelled with the
    category only (or the municipality only) scores that head alone."""
    from src.dataset import LABEL_FIELDS, PlaceLabels, labelled_fields, load_corpus
    from src.persistence import load_model, sha256_of, training_files
    from src.predict import predict_texts

    labels = labelled_fields(data)
    if not labels:
        raise DataError(f"{data}: no {' or '.join(LABEL_FIELDS)} labels to score the model against")
    model, card = load_model(source)
    if sha256_of(data) in {f.get("sha256") for f in training_files(card)}:
        log.warning("warning: %s is a file this model was trained on: the figures overstate how it does on "
                    "articles it has not seen", data)
    taxonomy = load_taxonomy()
    places = PlaceLabels.of(model[-1].municipality_.gazetteer, taxonomy.no_municipality)
    frame, report = load_corpus(data, taxonomy.category_labels, places, on_error, labels)
    _tell_loaded(report, [name for name in LABEL_FIELDS if name not in labels])
    if "category" in labels and not has_categories(frame, taxonomy):
        log.info("%s: every article is labelled %s, so only the low-confidence flag is scored of the category",
                 data, taxonomy.none_label)
    records = predict_texts(model, frame)
    return Evaluation(score_records(records, frame, taxonomy), records, frame, taxonomy, card,
                      report.n_skipped)


def _tell_loaded(report: "LoadReport", unlabelled: list[str]) -> None:
    """What was read of the scored file, and what its figures leave out."""
    for line in report.lines():
        log.info("%s", line)
    if report.n_skipped:
        log.warning("warning: %d of the %d records were skipped: the figures are of the %d articles left",
                    report.n_skipped, report.n_skipped + report.kept, report.kept)
    for name in unlabelled:
        log.info("%s: no %s labels, so that head is not scored", report.path, name)


def log_evaluation(evaluation: Evaluation, source: str, data: Path) -> None:
    from src.tracking import log_evaluation_run, store_errors

    with store_errors("the figures are above", "give --no-track"), tempfile.TemporaryDirectory() as tmp:
        write_reports(evaluation.records, evaluation.frame, evaluation.taxonomy, Path(tmp))
        counts = {"test_articles": len(evaluation.frame), "skipped_records": evaluation.skipped}
        run_id = log_evaluation_run(evaluation.card, str(source), data, evaluation.scores | counts, Path(tmp))
    log.info("MLflow run %s logged", run_id)


if __name__ == "__main__":
    sys.exit(main())
