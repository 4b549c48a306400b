"""MLflow runs, metrics, artifacts and the registered model (with `pyfunc_model`, the only
modules that import MLflow).

Tracking goes to `MLFLOW_TRACKING_URI` when set, else to `mlflow.db` in the repository root,
so `mlflow ui` started there shows every run.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any, Iterator

import mlflow
import mlflow.pyfunc
import pandas as pd
import sqlalchemy.exc

from src.config import DEFAULT_TRACKING_URI, ROOT, TrackingParams
from src.errors import ModelError, TrackingError

_PARAM_VALUE_LIMIT = 6000
# MLflow's defaults (7 retries, 120 s each) keep a batch job waiting minutes for a server that is down
_FAIL_FAST = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
              "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}
CHAMPION = "champion"
_SHA_TAG, _SHA_CHARS = "model_sha256", 12


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def log_training_run(
    *,
    experiment: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    artifact_dir: Path,
    model_dir: Path,
    input_example: Any,
    output_example: list[dict[str, Any]],
    registered_model: str | None,
    model_sha256: str,
    run_name: str,
    description: str,
) -> tuple[str, str | None]:
    """One run with params, metrics, report files and the model; returns the run id and,
    when `registered_model` is named, the new registry version, which gets `description`. The
    model's SHA-256 is a tag, by which an evaluation run finds the run that trained its model."""
    with _failing_fast():  # the first contact with the store: a server that is down fails here, in seconds
        _use_experiment(experiment)
    with mlflow.start_run(run_name=run_name, description=description,
                          tags={"kind": "training", _SHA_TAG: model_sha256[:_SHA_CHARS]}) as run:
        mlflow.log_params({k: _param_value(v) for k, v in params.items()})
        mlflow.log_metrics(metrics)
        mlflow.log_artifacts(str(artifact_dir), artifact_path="reports")
        logged = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(ROOT / "src" / "pyfunc_model.py"),
            artifacts={"model_dir": str(model_dir)},
            code_paths=[str(ROOT / "src")],
            signature=_signature(input_example, output_example),
            input_example=input_example,
            pip_requirements=_pip_requirements(model_dir),
            registered_model_name=registered_model,
        )
        version = logged.registered_model_version
        if version is not None:
            mlflow.MlflowClient().update_model_version(registered_model, version, description=description)
        return run.info.run_id, str(version) if version is not None else None


class SweepTracker:
    """A parent run for a sweep, one nested child run per configuration, and on the parent the
    comparison table (Markdown, and JSON for MLflow's table view) with the best score."""

    def __init__(self, experiment: str, n_configurations: int):
        with _failing_fast():
            _use_experiment(experiment)
        self.parent = mlflow.start_run(run_name="sweep", tags={"kind": "sweep"})
        mlflow.log_param("configurations", n_configurations)

    def child(self, name: str, params: Any, metrics: dict[str, float]) -> None:
        from src.config import flatten_params

        with mlflow.start_run(run_name=name, nested=True, tags={"kind": "sweep-trial"}):
            mlflow.log_params({k: _param_value(v) for k, v in flatten_params(params).items()})
            mlflow.log_metrics(metrics)

    def finish(self, rows: list[dict[str, Any]], table: str, metric: str) -> None:
        try:
            mlflow.log_text(table, "sweep_results.md")
            mlflow.log_table(pd.DataFrame(rows), "sweep_results.json")
            mlflow.log_metrics({f"best_{metric}": rows[0][metric]})
        finally:
            mlflow.end_run()

    def abandon(self, interrupted: bool) -> None:
        """End the parent run as stopped by the user or failed, not finished."""
        mlflow.end_run(status="KILLED" if interrupted else "FAILED")


@contextlib.contextmanager
def store_errors(kept: str, off: str) -> Iterator[None]:
    """An MLflow store that cannot be reached or written, as one `TrackingError` line that says
    what was kept (`kept`) and how to go on (`off`: how to run without tracking)."""
    try:
        yield
    except (mlflow.exceptions.MlflowException, sqlalchemy.exc.SQLAlchemyError, OSError) as exc:
        reason = _first_sentence(str(exc)) or type(exc).__name__
        if "Max retries exceeded" in reason:
            reason = "the server does not answer"
        raise TrackingError(f"the MLflow store {tracking_uri()} could not log the run ({reason}); {kept}: set "
                            f"MLFLOW_TRACKING_URI to a server that answers or to sqlite:///PATH, or {off}") from None


def _first_sentence(message: str) -> str:
    first = message.strip().split("\n")[0]
    return first.split(". ")[0].removesuffix(".")[:300]


def champion_uri(name: str) -> str:
    return f"models:/{name}@{CHAMPION}"


def has_champion(name: str) -> bool:
    _connect()
    try:
        mlflow.MlflowClient().get_model_version_by_alias(name, CHAMPION)
    except mlflow.exceptions.MlflowException:
        return False
    return True


def record_champion_decision(run_id: str, name: str, version: str, metric: str, score: float,
                             champion_score: float | None) -> bool:
    """Give `version` the champion alias if it beats the champion's score (or there is none);
    log the decision and both scores on the run."""
    client = mlflow.MlflowClient(tracking_uri())
    promote = champion_score is None or score > champion_score
    if champion_score is not None:
        client.log_metric(run_id, f"champion_before_{metric}", champion_score)
    decision = "promoted" if promote else "kept previous champion"
    client.set_tag(run_id, "champion_decision",
                   f"{decision}: {metric} {score:.4f} vs {'none' if champion_score is None else f'{champion_score:.4f}'}")
    if promote:
        client.set_registered_model_alias(name, CHAMPION, version)
    return promote


def record_no_challenge(run_id: str, reason: str) -> None:
    """Log on the run that it was not compared with the champion, and why."""
    mlflow.MlflowClient(tracking_uri()).set_tag(run_id, "champion_decision", f"not compared: {reason}")


def log_evaluation_run(card: dict[str, Any], model_source: str, data: Path, metrics: dict[str, float],
                       report_dir: Path) -> str:
    """An evaluation run: the model evaluated, the data, the scores and the report files."""
    with _failing_fast():
        _use_experiment(card.get("params", {}).get("tracking.experiment", TrackingParams().experiment))
    sha = card.get("sha256", "")[:_SHA_CHARS]
    trained_by, model_name = _training_run_of(sha)
    with mlflow.start_run(run_name=f"evaluate {data.name}, {model_name}",
                          tags={"kind": "evaluation", _SHA_TAG: sha}) as run:
        mlflow.log_params({"model": model_source, "data": str(data), "model_sha256": sha,
                           "model_training_run": trained_by or "not found in this store"})
        mlflow.log_metrics(metrics)
        mlflow.log_artifacts(str(report_dir), artifact_path="reports")
        return run.info.run_id


def _training_run_of(sha: str) -> tuple[str | None, str]:
    """The id of the run that trained the model with this SHA-256 (prefix), if this store holds
    it, and how to call the model in a run name: its registry version, or its hash."""
    found = mlflow.search_runs(filter_string=f"tags.kind = 'training' and tags.{_SHA_TAG} = '{sha}'",
                               search_all_experiments=True, output_format="list", max_results=1)
    if not found:
        return None, f"model {sha}"
    run_id = found[0].info.run_id
    versions = mlflow.MlflowClient().search_model_versions(f"run_id = '{run_id}'")
    names = [f"{v.name} version {v.version}" for v in versions]
    return run_id, names[0] if names else f"model of run {found[0].info.run_name}"


def download_registered_model(uri: str, fail_fast: bool = True) -> Path:
    """The model directory (`tagger.joblib` + card) of a registry model such as `models:/NAME@ALIAS`.
    fail_fast: a tracking server that does not answer fails the download within about half a
    minute, not after MLflow's minutes of retries (unless the user set them)."""
    database = _sqlite_file()
    if database is not None and not database.exists():  # MLflow would make an empty store there
        raise ModelError(f"cannot fetch {uri}: there is no MLflow store {database} "
                         "(train a model first, or set MLFLOW_TRACKING_URI)")
    _connect()
    try:
        with _failing_fast() if fail_fast else contextlib.nullcontext():
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    except Exception as exc:  # MLflow raises its own and third-party errors for a bad URI
        raise ModelError(f"cannot fetch {uri} from {tracking_uri()}: {str(exc).splitlines()[0]}") from None
    cards = sorted(local.glob("artifacts/*/tagger.json"))
    if not cards:
        raise ModelError(f"{uri} holds no tagger model")
    return cards[0].parent


@contextlib.contextmanager
def _failing_fast() -> Iterator[None]:
    added = {name: value for name, value in _FAIL_FAST.items() if name not in os.environ}
    urllib3 = logging.getLogger("urllib3")
    level = urllib3.level
    os.environ.update(added)
    urllib3.setLevel(logging.ERROR)  # a warning per retry: the error says it all
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)
        urllib3.setLevel(level)


def champion_lock() -> contextlib.AbstractContextManager:
    """Held while a run reads the champion, compares and promotes, so two runs finishing
    together cannot both promote on a stale comparison."""
    return _store_lock(".champion.lock")


def _use_experiment(name: str) -> None:
    """Select `name`, creating it if needed; with a SQLite store its artifacts go to `mlruns/`
    beside the database file, whatever the working folder.

    Processes take turns here (a lock file beside the database): the first use of a new SQLite
    store creates its tables, which two processes at once fail at, and both would create `name`.
    """
    _connect()
    with _store_lock(".lock"):
        if mlflow.get_experiment_by_name(name) is None:
            database = _sqlite_file()
            artifacts = (database.parent / "mlruns").as_uri() if database else None
            mlflow.create_experiment(name, artifact_location=artifacts)
    mlflow.set_experiment(name)


def _connect() -> None:
    """Point MLflow at the store, without its artifact progress bars (noise in our output)."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    mlflow.set_tracking_uri(tracking_uri())


def _store_lock(suffix: str) -> contextlib.AbstractContextManager:
    from src.persistence import file_lock

    database = _sqlite_file()
    if database is None:  # a tracking server keeps its own order
        return contextlib.nullcontext()
    database.parent.mkdir(parents=True, exist_ok=True)
    return file_lock(database.with_name(database.name + suffix))


def _sqlite_file() -> Path | None:
    uri = tracking_uri()
    return Path(uri.removeprefix("sqlite:///")).resolve() if uri.startswith("sqlite:///") else None


def _param_value(value: Any) -> str:
    text = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
    return text[:_PARAM_VALUE_LIMIT]


def _signature(input_example: Any, output_example: list[dict[str, Any]]) -> mlflow.models.ModelSignature:
    """Rows need `text` only, as `--input` records do; values of any type reach the model, which
    answers a row whose title or text is not text with an `error`, as `--input` does. So every
    answer field is optional: a row's answer is its `uid` (when sent) and either tags or `error`."""
    from mlflow.types.schema import AnyType, ColSpec, DataType, Schema

    inputs = Schema([ColSpec(AnyType(), "uid", required=False), ColSpec(AnyType(), "title", required=False),
                     ColSpec(AnyType(), "text")])
    tags = mlflow.models.infer_signature(input_example, output_example).outputs.inputs
    outputs = Schema([ColSpec(AnyType(), "uid", required=False),
                      *(ColSpec(column.type, column.name, required=False) for column in tags),
                      ColSpec(DataType.string, "error", required=False)])
    return mlflow.models.ModelSignature(inputs, outputs)


def _pip_requirements(model_dir: Path) -> list[str]:
    """What serving the model installs: the libraries of its card, at the versions it was trained with."""
    from src.persistence import load_card

    return [f"{name}=={found}" for name, found in load_card(model_dir)["versions"].items() if name != "python"]
