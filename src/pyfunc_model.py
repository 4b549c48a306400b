"""The saved tagger as an MLflow pyfunc model, logged from this file (MLflow's models from code,
so no pickled class travels with the model) and served by `mlflow models serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.models
import mlflow.pyfunc
import pandas as pd


class TaggerModel(mlflow.pyfunc.PythonModel):
    """A frame of `title`, `text` → one record per row."""

    def load_context(self, context) -> None:
        from src.persistence import load_model

        self.model, _ = load_model(Path(context.artifacts["model_dir"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> list[dict[str, Any]]:
        from src.predict import predict_texts

        return predict_texts(self.model, model_input)


mlflow.models.set_model(TaggerModel())
