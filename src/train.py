"""`python -m src.train [key=value ...]`: params → data → fit → evaluate → save → track."""

from __future__ import annotations

import argparse
import hashlib
import logging
import math
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NamedTuple, Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from src.cli import Once, run
from src.config import PARAMS_FILE, ROOT, Params, Taxonomy, flatten_params, load_params, load_taxonomy
from src.dataset import PlaceLabels, load_corpora
from src.errors import ConfigError, DataError, ModelError, TrackingError
from src.evaluate import has_categories, score_records, write_reports
from src.gazetteer import Gazetteer, load_gazetteer
from src.persistence import load_card, load_model, save_model, sha256_of, training_files
from src.pipeline import build_pipeline
from src.predict import predict_texts

log = logging.getLogger("src.train")
_VERSIONED = ("scikit-learn", "kiwipiepy", "kiwipiepy_model", "joblib", "numpy", "scipy",
              "pandas", "pyyaml", "tqdm", "mlflow")  # also what serving the model installs


@dataclass
class TrainingResult:
    metrics: dict[str, float]
    n_train: int
    n_test: int
    model_dir: Path
    run_id: str | None
    tracking_error: TrackingError | None = None

    def table(self) -> str:
        m = self.metrics
        per_class = "  ".join(f"{k.removeprefix('category_f1_')} {v:.2f}"
                              for k, v in m.items() if k.startswith("category_f1_"))
        return "\n".join([
            f"{'test (' + str(self.n_test) + ' articles)':28}{'macro-F1':>10}{'accuracy':>10}{'+alt':>8}",
            f"{'  category':28}{m['category_macro_f1']:>10.3f}{m['category_accuracy']:>10.3f}"
            f"{m['category_accuracy_with_alt']:>8.3f}",
            f"{'':28}{'accuracy':>10}{'none P':>10}{'none R':>8}",
            f"{'  municipality':28}{m['municipality_accuracy']:>10.3f}"
            f"{_figure(m, 'municipality_none_precision'):>10}{_figure(m, 'municipality_none_recall'):>8}",
            f"  per-category F1: {per_class}",
            f"trained on {self.n_train} articles in {m['train_seconds']:.1f} s "
            f"({self._tokens()}); model in {self.model_dir}"
            + (f"; MLflow run {self.run_id}" if self.run_id else ""),
        ])

    def _tokens(self) -> str:
        speed = self.metrics.get("tokens_per_second")
        return "morphemes from the cache" if speed is None else f"{speed:,.0f} tokens/s"


def _figure(metrics: dict[str, float], name: str) -> str:
    return f"{metrics[name]:.3f}" if name in metrics else "n/a"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m src.train",
                                     description="Train the tagger on a labelled corpus.")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="override a params.yaml entry, e.g. model.category.C=0.5")
    parser.add_argument("--params", action=Once, type=Path, default=PARAMS_FILE, help="settings file")
    parser.add_argument("--no-track", action="store_true",
                        help="log no MLflow run (the same as tracking.enabled=false)")
    return run(parser, argv, lambda args: _report(train(load_params(
        args.params, [*args.overrides, *(["tracking.enabled=false"] if args.no_track else [])]))))


def _report(result: TrainingResult) -> int:
    print(result.table())
    if result.tracking_error is not None:  # after the table: the model and its figures are kept
        raise result.tracking_error
    return 0


def train(params: Params) -> TrainingResult:
    """Fit, score, save and (with tracking on) log a run. A store that fails leaves the model saved
    and its error in the result's `tracking_error`, for the command to raise after the table."""
    taxonomy, gazetteer = load_taxonomy(), load_gazetteer()
    train_frame, test_frame, skipped = load_data(params, taxonomy, gazetteer)
    _make_folders(params)
    fitted = fit_and_score(params, taxonomy, gazetteer, train_frame, test_frame)
    fitted.metrics |= {"train_articles": len(train_frame), "test_articles": len(test_frame),
                       "skipped_records": skipped}
    fitted.pipeline.set_params(tokens__cache_dir=None)
    model_dir = params.output.model_dir
    card = _model_card(params, taxonomy, fitted.metrics, train_frame, test_frame)
    replaced = _trained_on(model_dir)
    save_model(fitted.pipeline, model_dir, card)
    log.info("model saved in %s", model_dir)
    if replaced and replaced != {str(path) for path in params.data.train}:
        log.info("it replaces the model trained there on %s%s", ", ".join(sorted(Path(p).name for p in replaced)),
                 " (the MLflow registry keeps every version)" if params.tracking.enabled else "")
    result = TrainingResult(fitted.metrics, len(train_frame), len(test_frame), model_dir, None)
    try:
        result.run_id = _track(params, taxonomy, fitted, card, test_frame)
    except TrackingError as exc:
        result.tracking_error = exc
    return result


def _trained_on(model_dir: Path) -> set[str]:
    """The training files of the model in `model_dir`; none when it holds no readable card."""
    try:
        card = load_card(model_dir)
    except ModelError:
        return set()
    return {str(f.get("path", "")) for f in training_files(card)}


def _make_folders(params: Params) -> None:
    """The model and cache folders, made and tried before fitting so that a bad path costs no fit."""
    for key, folder in (("output.model_dir", params.output.model_dir), ("data.cache_dir", params.data.cache_dir)):
        if folder is None:
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"{key}: cannot make the folder {folder} ({exc.strerror})") from None
        try:
            tempfile.TemporaryFile(dir=folder).close()
        except OSError as exc:
            raise ConfigError(f"{key}: cannot write in the folder {folder} ({exc.strerror})") from None


@dataclass
class Fitted:
    pipeline: Pipeline
    metrics: dict[str, float]
    records: list[dict]  # the answers on the test articles


def fit_and_score(params: Params, taxonomy: Taxonomy, gazetteer: Gazetteer,
                  train_frame: pd.DataFrame, test_frame: pd.DataFrame) -> Fitted:
    """Build the pipeline the params describe, fit it (timed) and score it on the test articles."""
    pipeline = build_pipeline(params, taxonomy, gazetteer)
    tokenizer, heads = pipeline.named_steps["tokens"], pipeline.named_steps["tag"]
    from_cache = tokenizer.is_cached(train_frame)
    started = time.perf_counter()
    train_articles = tokenizer.fit_transform(train_frame)
    tokenize_seconds = time.perf_counter() - started
    if not any(article.tokens for article in train_articles):
        raise DataError(f"the training articles have no morphemes tagged {', '.join(params.features.pos_tags)} "
                        "(features.pos_tags)")
    heads.fit(train_articles, train_frame[["category", "municipality"]].to_numpy())
    train_seconds = time.perf_counter() - started

    records = heads.describe(tokenizer.transform(test_frame))
    n_tokens = sum(len(a.tokens) for a in train_articles)
    metrics = {"train_seconds": train_seconds, "tokenize_seconds": tokenize_seconds}
    if not from_cache:  # kiwipiepy's speed; reading the cache says nothing of it
        metrics["tokens_per_second"] = n_tokens / max(tokenize_seconds, 1e-9)
    metrics |= score_records(records, test_frame, taxonomy, set(train_frame["municipality"]))
    return Fitted(pipeline, metrics, records)


class Data(NamedTuple):
    train: pd.DataFrame
    test: pd.DataFrame
    skipped: int  # bad records skipped with data.on_error=skip


def load_data(params: Params, taxonomy: Taxonomy, gazetteer: Gazetteer) -> Data:
    """The training and test articles the params name (a held-out split without a test file)."""
    places = PlaceLabels.of(gazetteer, taxonomy.no_municipality)
    joined = next((path for path in params.data.train if "," in str(path) and not path.exists()), None)
    if joined:
        raise ConfigError(f"data.train: no file {joined}; several files are given as a list, "
                          "'data.train=[a.jsonl,b.csv]' (quoted for the shell)")

    def load(paths: Sequence[Path]) -> tuple[pd.DataFrame, int]:
        frame, reports = load_corpora(paths, taxonomy.category_labels, places, params.data.on_error)
        for line in (line for report in reports for line in report.lines()):
            log.info("%s", line)
        return frame, sum(report.n_skipped for report in reports)

    train_frame, skipped = load(params.data.train)
    if params.data.test is None:
        return Data(*_split(train_frame, params.data.test_size, params.seed), skipped)
    test_frame, skipped_in_test = load([params.data.test])
    _check_test_data(params.data.test, test_frame, train_frame, taxonomy)
    return Data(train_frame, test_frame, skipped + skipped_in_test)


def _check_test_data(path: Path, test_frame: pd.DataFrame, train_frame: pd.DataFrame, taxonomy: Taxonomy) -> None:
    """Refuse test articles that leave the category nothing to score; warn of those trained on too."""
    if not has_categories(test_frame, taxonomy):
        raise DataError(f"{path}: every article is labelled {taxonomy.none_label}, so the category "
                        "cannot be scored on it (data.test)")
    shared = test_frame["text"].isin(set(train_frame["text"])).sum()
    if shared:
        log.warning("warning: %d of the %d test articles are in the training data too (the same text): the "
                    "figures overstate how the model does on articles it has not seen", shared, len(test_frame))


def _split(frame: pd.DataFrame, test_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded split, stratified by category (categories too rare to split stay in train)."""
    counts = frame["category"].value_counts()
    rare = frame["category"].isin(counts[counts < 3].index)
    common = frame[~rare]
    n_test, n_classes = math.ceil(test_size * len(common)), common["category"].nunique()
    if frame["category"].nunique() < 2:
        raise DataError("the category head needs at least two categories in the training data")
    if n_classes < 2 or n_test < n_classes or len(common) - n_test < n_classes:
        raise DataError(f"{len(frame)} articles are too few to hold out a test split; "
                        "give data.test or more data")
    train_part, test_part = train_test_split(
        common, test_size=test_size, random_state=seed, stratify=np.asarray(common["category"].tolist()))
    return pd.concat([train_part, frame[rare]]), test_part


def _track(params: Params, taxonomy: Taxonomy, fitted: Fitted, card: dict[str, Any], frame) -> str | None:
    """The MLflow run's id, None with tracking off; a store that fails raises `TrackingError`."""
    if not params.tracking.enabled:
        return None
    from src.tracking import store_errors

    with store_errors(f"the model is saved in {params.output.model_dir}", "give --no-track"):
        return _log_run(params, taxonomy, fitted, card, frame)


def _log_run(params: Params, taxonomy: Taxonomy, fitted: Fitted, card: dict[str, Any], frame) -> str:
    """Log the run with its own copy of the model: another run may replace `output.model_dir`'s."""
    from src.tracking import log_training_run

    example = frame[["title", "text"]].head(2).copy()
    example["text"] = example["text"].str.slice(0, 300)
    output = predict_texts(fitted.pipeline, example)
    with tempfile.TemporaryDirectory() as tmp:
        reports, own_model = Path(tmp) / "reports", Path(tmp) / "model"
        reports.mkdir()
        write_reports(fitted.records, frame, taxonomy, reports)
        model_file = save_model(fitted.pipeline, own_model, card)
        run_id, version = log_training_run(
            experiment=params.tracking.experiment, params=flatten_params(params), metrics=fitted.metrics,
            artifact_dir=reports, model_dir=own_model, input_example=example, output_example=output,
            registered_model=params.tracking.registered_model, model_sha256=sha256_of(model_file),
            run_name=params.tracking.run_name or _run_name(params), description=_description(params, fitted.metrics))
    log.info("MLflow run %s logged", run_id)
    if version is not None:
        _challenge_champion(params, run_id, version, card, frame)
    return run_id


def _run_name(params: Params) -> str:
    """What the run trained and scored on: `train a.jsonl, b.csv → test.jsonl`."""
    test = params.data.test.name if params.data.test else f"its held-out {params.data.test_size:.0%}"
    return f"train {', '.join(path.name for path in params.data.train)} → {test}"


def _description(params: Params, metrics: dict[str, float]) -> str:
    """The registered version's description: its data and the figure the champion is chosen by."""
    figures = dict.fromkeys((params.tracking.champion_metric, "municipality_accuracy"))
    return (f"Trained on {', '.join(map(str, params.data.train))} ({metrics['train_articles']:,.0f} articles); "
            + ", ".join(f"{name} {metrics[name]:.4f}" for name in figures)
            + f" on {params.data.test or 'the held-out split'} ({metrics['test_articles']:,.0f} articles).")


def _challenge_champion(params: Params, run_id: str, version: str, card: dict[str, Any],
                        frame: pd.DataFrame) -> None:
    """The new version becomes `@champion` only if it beats the champion on this test data, and
    only if the champion was chosen on the same test data: a score on a split of the new model's
    own corpus says nothing about a model trained on another."""
    from src.tracking import champion_lock

    with champion_lock():
        _compare_and_promote(params, run_id, version, card, frame)


def _compare_and_promote(params: Params, run_id: str, version: str, card: dict[str, Any],
                         frame: pd.DataFrame) -> None:
    from src.tracking import champion_uri, has_champion, record_champion_decision, record_no_challenge

    name, metric = params.tracking.registered_model, params.tracking.champion_metric
    score, champion_score = card["metrics"][metric], None
    if has_champion(name):
        try:
            # with MLflow's full retries: a short network blip must not pass for a broken champion
            champion, champion_card = load_model(champion_uri(name), fail_fast=False)
        except ModelError as exc:  # e.g. written by an incompatible version: anything beats it
            log.warning("the current champion cannot be used (%s)", exc)
        else:
            if _test_data(champion_card) != _test_data(card):
                record_no_challenge(run_id, "the champion was chosen on other test data")
                log.info("%s version %s did not challenge @champion: the champion was scored on other "
                         "test articles, so the two figures do not compare; to use this version, move the alias in the "
                         "MLflow UI, or with mlflow.MlflowClient().set_registered_model_alias(%r, 'champion', %s)",
                         name, version, name, version)
                return
            champion.set_params(tokens__cache_dir=params.data.cache_dir)
            records = predict_texts(champion, frame)
            champion_score = score_records(records, frame, load_taxonomy())[metric]
    promoted = record_champion_decision(run_id, name, version, metric, score, champion_score)
    log.info("%s version %s %s @champion (%s %.4f %s)", name, version,
             "is now" if promoted else "did not become", metric, score,
             "; there was none before" if champion_score is None else f"vs {champion_score:.4f}")


def _model_card(params: Params, taxonomy: Taxonomy, metrics, train_frame, test_frame) -> dict[str, Any]:
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "categories": list(taxonomy.categories),
        "metrics": metrics,
        "params": {k: v if not isinstance(v, tuple) else list(v) for k, v in flatten_params(params).items()},
        "data": {"train": _fingerprint(params.data.train, len(train_frame)),
                 "test": {**_fingerprint([params.data.test] if params.data.test else [], len(test_frame)),
                          "articles_sha256": _articles_sha256(test_frame)}},
        "versions": _versions(),
        "git_commit": _git_commit(),
    }


def _fingerprint(paths: Sequence[Path], n_articles: int) -> dict[str, Any]:
    if not paths:
        return {"files": [], "articles": n_articles, "note": "held out from train"}
    return {"files": [{"path": str(p), "sha256": sha256_of(p)} for p in paths], "articles": n_articles}


def _articles_sha256(frame: pd.DataFrame) -> str:
    """One hash of the articles themselves, however they were read or split."""
    digest = hashlib.sha256()
    for uid, title, text in zip(frame["uid"], frame["title"], frame["text"]):
        digest.update(f"{uid}\x1f{title}\x1f{text}\x1e".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _test_data(card: dict[str, Any]) -> str | None:
    return card.get("data", {}).get("test", {}).get("articles_sha256")


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


if __name__ == "__main__":
    sys.exit(main())
