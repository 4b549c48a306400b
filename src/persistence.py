"""Saving and loading the model directory: `tagger.joblib` plus its card `tagger.json`.

Writes are atomic (temporary file, then rename) and serialised by a lock, so a run killed
midway leaves the previous model loadable. Loading checks the file's SHA-256 against the card
before unpickling: a pickle runs code when loaded, so load only models from a trusted source.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from src.errors import ModelError

# Bump when a change to the estimators makes older model files unusable.
MODEL_FORMAT = 2
MODEL_FILE = "tagger.joblib"
CARD_FILE = "tagger.json"
_LOCK_FILE = ".tagger.lock"


def save_model(model: Any, model_dir: Path, card: dict[str, Any]) -> Path:
    """Write the model and its card (with the model's SHA-256 added) into `model_dir`."""
    import joblib

    model_dir.mkdir(parents=True, exist_ok=True)
    model_tmp, card_tmp = _temp_path(model_dir, MODEL_FILE), _temp_path(model_dir, CARD_FILE)
    try:
        joblib.dump(model, model_tmp)
        card = {**card, "format": MODEL_FORMAT, "sha256": _sha256(model_tmp)}
        card_tmp.write_text(json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8")
        with _locked(model_dir, shared=False):
            os.replace(model_tmp, model_dir / MODEL_FILE)
            os.replace(card_tmp, model_dir / CARD_FILE)
    finally:
        model_tmp.unlink(missing_ok=True)
        card_tmp.unlink(missing_ok=True)
    return model_dir / MODEL_FILE


def load_card(model_dir: Path) -> dict[str, Any]:
    path = model_dir / CARD_FILE
    if not (model_dir / MODEL_FILE).exists():
        raise ModelError(f"no model in {model_dir}: run `python -m src.train` first")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path} is missing: the model card is needed to check the model file") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path} is unreadable ({type(exc).__name__})") from None


def load_model(source: str | Path) -> tuple[Any, dict[str, Any]]:
    """The fitted pipeline and its card, from a model directory or a registry URI such as
    `models:/NAME@ALIAS`. A missing, altered or incompatible model raises `ModelError`."""
    if str(source).startswith("models:/"):
        from src.tracking import download_registered_model  # imports MLflow: only when asked for

        source = download_registered_model(str(source))
    model_dir = Path(source)
    with _locked(model_dir, shared=True):
        card = load_card(model_dir)
        path = model_dir / MODEL_FILE
        if _sha256(path) != card.get("sha256"):
            raise ModelError(f"{path} does not match the SHA-256 in its card: corrupted or replaced")
        _check_versions(card)
        return _unpickle(path), card


def _unpickle(path: Path) -> Any:
    import joblib

    try:
        return joblib.load(path)
    except Exception as exc:  # unpickling can fail in many ways; all mean "unusable file"
        raise ModelError(f"{path} cannot be loaded ({type(exc).__name__}: {exc})") from None


def _check_versions(card: dict[str, Any]) -> None:
    import sklearn

    if card.get("format") != MODEL_FORMAT:
        raise ModelError(f"the model is in format {card.get('format', 1)}, this version of the tagger "
                         f"reads format {MODEL_FORMAT}: retrain it with `python -m src.train`")

    saved = str(card.get("versions", {}).get("scikit-learn", ""))
    if saved.split(".")[0] != sklearn.__version__.split(".")[0]:
        raise ModelError(f"the model was written by scikit-learn {saved or 'unknown'}; this is "
                         f"{sklearn.__version__}: retrain it with `python -m src.train`")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _temp_path(folder: Path, name: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{name}.", suffix=".tmp")
    os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide the model from other users of the folder
    os.close(fd)
    return Path(tmp)


@contextlib.contextmanager
def _locked(model_dir: Path, shared: bool) -> Iterator[None]:
    """Hold the directory's lock while the model and card are swapped (or read) as a pair."""
    if not model_dir.is_dir():
        raise ModelError(f"no model in {model_dir}: run `python -m src.train` first")
    try:
        lock = open(model_dir / _LOCK_FILE, "a")
    except OSError:  # a read-only model directory: nobody can be writing to it
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
