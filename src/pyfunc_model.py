"""The saved tagger as an MLflow pyfunc model, logged from this file (MLflow's models from code,
so no pickled class travels with the model) and served by `mlflow models serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.models
import mlflow.pyfunc
import pandas as pd


class TaggerModel(mlflow.pyfunc.PythonModel):
    """A frame of `text` (and optionally `title`, `uid`) → one record per row, checked as
    `--input` records are: a row without usable text gets an `error` field instead of tags, and
    a row's `uid` is echoed back."""

    def load_context(self, context) -> None:
        from src.persistence import load_model

        self.model, _ = load_model(Path(context.artifacts["model_dir"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> list[dict[str, Any]]:
        from src.dataset import as_text
        from src.predict import tag_records

        results = tag_records(self.model, "row", list(enumerate(model_input.to_dict("records"), start=1)))
        for result in results:
            if not as_text(result["uid"]):  # a row sent without one
                del result["uid"]
        return results


mlflow.models.set_model(TaggerModel())
