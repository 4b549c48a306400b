"""MLflow: the only module that imports it. Runs, metrics, artifacts and the registered model.

Tracking goes to `MLFLOW_TRACKING_URI` when set, else to `mlflow.db` in the repository root,
so `mlflow ui` started there shows every run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import pandas as pd

from src.config import DEFAULT_TRACKING_URI, ROOT

_PARAM_VALUE_LIMIT = 6000
CHAMPION = "champion"
_REQUIREMENTS = ("scikit-learn", "kiwipiepy", "kiwipiepy_model", "joblib", "numpy", "scipy",
                 "pandas", "pyyaml", "tqdm")


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


class TaggerModel(mlflow.pyfunc.PythonModel):
    """The saved tagger as an MLflow pyfunc: a frame of `title`, `text` → one record per row."""

    def load_context(self, context) -> None:
        from src.persistence import load_model

        self.model, _ = load_model(Path(context.artifacts["model_dir"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> list[dict[str, Any]]:
        articles = self.model[:-1].transform(model_input)
        return self.model[-1].describe(articles)


def log_training_run(
    experiment: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    artifact_dir: Path,
    model_dir: Path,
    input_example: Any,
    output_example: list[dict[str, Any]],
    registered_model: str | None,
) -> tuple[str, str | None]:
    """One run with params, metrics, report files and the model; returns the run id and,
    when `registered_model` is named, the new registry version."""
    _use_experiment(experiment)
    with mlflow.start_run(tags={"kind": "training"}) as run:
        mlflow.log_params({k: _param_value(v) for k, v in params.items()})
        mlflow.log_metrics(metrics)
        mlflow.log_artifacts(str(artifact_dir), artifact_path="reports")
        logged = mlflow.pyfunc.log_model(
            name="model",
            python_model=TaggerModel(),
            artifacts={"model_dir": str(model_dir)},
            code_paths=[str(ROOT / "src")],
            signature=mlflow.models.infer_signature(input_example, output_example),
            input_example=input_example,
            pip_requirements=_pip_requirements(),
            registered_model_name=registered_model,
        )
        version = logged.registered_model_version
        return run.info.run_id, str(version) if version is not None else None


def champion_uri(name: str) -> str:
    return f"models:/{name}@{CHAMPION}"


def has_champion(name: str) -> bool:
    mlflow.set_tracking_uri(tracking_uri())
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


def log_evaluation_run(card: dict[str, Any], model_source: str, data: Path, metrics: dict[str, float],
                       report_dir: Path) -> str:
    """An evaluation run: the model evaluated, the data, the scores and the report files."""
    _use_experiment(card.get("params", {}).get("tracking.experiment", "local-news-tagger"))
    with mlflow.start_run(run_name=f"evaluate {data.name}", tags={"kind": "evaluation"}) as run:
        mlflow.log_params({"model": model_source, "data": str(data),
                           "model_sha256": card.get("sha256", "")[:12]})
        mlflow.log_metrics(metrics)
        mlflow.log_artifacts(str(report_dir), artifact_path="reports")
        return run.info.run_id


def download_registered_model(uri: str) -> Path:
    """The model directory (`tagger.joblib` + card) of a registry model such as `models:/NAME@ALIAS`."""
    from src.errors import ModelError

    mlflow.set_tracking_uri(tracking_uri())
    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    except Exception as exc:  # MLflow raises its own and third-party errors for a bad URI
        raise ModelError(f"cannot fetch {uri} from {tracking_uri()}: {str(exc).splitlines()[0]}") from None
    cards = sorted(local.glob("artifacts/*/tagger.json"))
    if not cards:
        raise ModelError(f"{uri} holds no tagger model")
    return cards[0].parent


def _use_experiment(name: str) -> None:
    """Select `name`, creating it if needed; with a SQLite store its artifacts go to `mlruns/`
    beside the database file, whatever the working folder."""
    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    if mlflow.get_experiment_by_name(name) is None:
        artifacts = None
        if uri.startswith("sqlite:///"):
            artifacts = (Path(uri.removeprefix("sqlite:///")).resolve().parent / "mlruns").as_uri()
        mlflow.create_experiment(name, artifact_location=artifacts)
    mlflow.set_experiment(name)


def _param_value(value: Any) -> str:
    text = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
    return text[:_PARAM_VALUE_LIMIT]


def _pip_requirements() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    pins = []
    for name in _REQUIREMENTS:
        try:
            pins.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            pins.append(name)
    return pins
