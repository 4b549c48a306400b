"""Shared fixtures: the bundled sample corpus and a small model trained on it once per session."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from src.config import ROOT, SAMPLE_CORPUS, load_params, load_taxonomy
from src.dataset import load_corpus
from src.gazetteer import load_gazetteer
from src.pipeline import build_pipeline

EXAMPLES = ROOT / "data" / "examples"
HELD_OUT = "경기도 연천군"  # never shown to the fixture model: it must still find it


@pytest.fixture(scope="session")
def taxonomy():
    return load_taxonomy()


@pytest.fixture(scope="session")
def gazetteer():
    return load_gazetteer()


@pytest.fixture(scope="session")
def sample_frame(taxonomy, gazetteer):
    frame, _ = load_corpus(SAMPLE_CORPUS, taxonomy.category_labels,
                           (*gazetteer.labels, taxonomy.no_municipality))
    return frame


@pytest.fixture(scope="session")
def fitted_model(sample_frame, taxonomy, gazetteer):
    """The default pipeline fitted on the sample corpus without any article about HELD_OUT."""
    params = load_params(overrides=["data.cache_dir=null"])
    train = sample_frame[sample_frame["municipality"] != HELD_OUT]
    model = build_pipeline(params, taxonomy, gazetteer)
    return model.fit(train, train[["category", "municipality"]].to_numpy())


@pytest.fixture()
def write(tmp_path):
    """Write `content` (str or bytes) to a file under tmp_path and return its path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write


@pytest.fixture(scope="session")
def fitted_model_dir(fitted_model, tmp_path_factory):
    from src.persistence import save_model

    folder = tmp_path_factory.mktemp("model")
    save_model(fitted_model, folder, {"versions": {"scikit-learn": __import__("sklearn").__version__}})
    return folder


@pytest.fixture()
def server_down(monkeypatch) -> str:
    """MLFLOW_TRACKING_URI at a port nothing listens on, with MLflow's retry settings as they come."""
    for name in [name for name in os.environ if name.startswith("MLFLOW_HTTP_REQUEST")]:
        monkeypatch.delenv(name)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    return f"http://127.0.0.1:{port}"
