"""The saved tagger as an MLflow pyfunc model, logged from this file (MLflow's models from code,
so no pickled class travels with the model) and served by `mlflow models serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.models
import mlflow.pyfunc
import pandas as pd


class TaggerModel(mlflow.pyfunc.PythonModel):
    """A frame of `title`, `text` (and optionally `uid`) → one record per row, checked as
    `--input` records are: a row without usable text gets an `error` field instead of tags."""

    def load_context(self, context) -> None:
        from src.persistence import load_model

        self.model, _ = load_model(Path(context.artifacts["model_dir"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> list[dict[str, Any]]:
        from src.predict import tag_records

        results = tag_records(self.model, "row", list(enumerate(model_input.to_dict("records"), start=1)))
        if "uid" not in model_input.columns:
            for result in results:
                del result["uid"]
        return results


mlflow.models.set_model(TaggerModel())
