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
import re
import tempfile
from pathlib import Path
from typing import Any, Iterator, NoReturn

from src.errors import ModelError, OutputError

# Bump when older code cannot read the model files this code writes; keep reading what it still can.
MODEL_FORMAT = 6
_READABLE_FORMATS = (5, 6)  # 5: vocabularies pickled as dicts
MODEL_FILE = "tagger.joblib"
CARD_FILE = "tagger.json"
_PENDING_CARD_FILE = ".tagger.json.pending"
_LOCK_FILE = ".tagger.lock"


def save_model(model: Any, model_dir: Path, card: dict[str, Any]) -> Path:
    """Write the model and its card (with the model's SHA-256 added) into `model_dir`."""
    import joblib

    with _saving_in(model_dir):
        model_dir.mkdir(parents=True, exist_ok=True)
        model_tmp, card_tmp = _temp_path(model_dir, MODEL_FILE), _temp_path(model_dir, CARD_FILE)
        try:
            joblib.dump(model, model_tmp)
            card = {**card, "format": MODEL_FORMAT, "sha256": sha256_of(model_tmp)}
            card_tmp.write_text(json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8")
            with _locked(model_dir, shared=False):
                # The card goes in first under a journal name: a run killed between the renames
                # leaves a model that this card, not the previous one, describes (see load_model).
                os.replace(card_tmp, model_dir / _PENDING_CARD_FILE)
                os.replace(model_tmp, model_dir / MODEL_FILE)
                os.replace(model_dir / _PENDING_CARD_FILE, model_dir / CARD_FILE)
        finally:
            model_tmp.unlink(missing_ok=True)
            card_tmp.unlink(missing_ok=True)
    return model_dir / MODEL_FILE


@contextlib.contextmanager
def _saving_in(model_dir: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:  # a read-only folder, a full disk
        raise OutputError(f"cannot save the model in {model_dir} ({exc.strerror})") from None


def training_files(card: dict[str, Any]) -> list[dict[str, str]]:
    """The files a model was trained on, as its card records them: each with `path` and `sha256`."""
    return card.get("data", {}).get("train", {}).get("files", [])


def load_card(model_dir: Path) -> dict[str, Any]:
    path = model_dir / CARD_FILE
    if not (model_dir / MODEL_FILE).exists():
        raise _no_model(model_dir)
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path} is missing: the model card is needed to check the model file") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path} is unreadable ({type(exc).__name__})") from None
    if not isinstance(card, dict):
        raise ModelError(f"{path} is not a model card (a JSON object)")
    return card


def load_model(source: str | Path, fail_fast: bool = True) -> tuple[Any, dict[str, Any]]:
    """The fitted pipeline and its card, from a model directory or a registry URI such as
    `models:/NAME@ALIAS` (fail_fast: see `download_registered_model`). A missing, altered or
    incompatible model raises `ModelError`."""
    if str(source).startswith("models:/"):
        from src.tracking import download_registered_model  # imports MLflow: only when asked for

        source = download_registered_model(str(source), fail_fast)
    model_dir = Path(source)
    with _locked(model_dir, shared=True):
        card = load_card(model_dir)
        path = model_dir / MODEL_FILE
        try:
            digest = sha256_of(path)
        except OSError as exc:
            raise ModelError(f"{path} cannot be read ({exc.strerror})") from None
        if digest != card.get("sha256"):
            card = _pending_card(model_dir, digest) or _refuse_unchecked(model_dir, card)
        _check_versions(card)
        return _unpickle(path), card


def _refuse_unchecked(model_dir: Path, card: dict[str, Any]) -> NoReturn:
    if not card.get("sha256"):
        raise ModelError(f"{model_dir / CARD_FILE} has no SHA-256 of the model file, so the model cannot be checked")
    raise ModelError(f"{model_dir / MODEL_FILE} does not match the SHA-256 in its card: corrupted or replaced")


def _pending_card(model_dir: Path, digest: str) -> dict[str, Any] | None:
    """The card of a save killed between its renames, if it describes the model file."""
    try:
        card = json.loads((model_dir / _PENDING_CARD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return card if isinstance(card, dict) and card.get("sha256") == digest else None


def _unpickle(path: Path) -> Any:
    import joblib

    try:
        model = joblib.load(path)
    except Exception as exc:  # unpickling can fail in many ways; all mean "unusable file"
        raise ModelError(f"{path} cannot be loaded ({type(exc).__name__}: {exc})") from None
    if not hasattr(model, "steps") or not hasattr(model.steps[-1][1], "describe"):
        raise ModelError(f"{path} holds a {type(model).__name__}, not a tagger model")
    return model


def _check_versions(card: dict[str, Any]) -> None:
    import sklearn

    model_format, readable = card.get("format", 1), f"{_READABLE_FORMATS[0]}–{_READABLE_FORMATS[-1]}"
    if model_format not in _READABLE_FORMATS:
        newer = isinstance(model_format, int) and model_format > _READABLE_FORMATS[-1]
        remedy = ("a newer version of the tagger wrote it: update this one, or retrain" if newer
                  else "retrain it")
        raise ModelError(f"the model is in format {model_format}, this version of the tagger reads formats "
                         f"{readable}: {remedy} with `python -m src.train`")

    # scikit-learn reads its pickles only in the minor version that wrote them
    saved = str(card.get("versions", {}).get("scikit-learn", ""))
    if _minor(saved) != _minor(sklearn.__version__):
        install = f"install scikit-learn {'.'.join(_minor(saved))}.* or " if _minor(saved) else ""
        raise ModelError(f"the model was written by scikit-learn {saved or 'unknown'}; this is "
                         f"{sklearn.__version__}: {install}retrain it with `python -m src.train`")


def _minor(version: str) -> tuple[str, ...]:
    """`1.9` of `1.9.1` or `1.9rc1`; empty for no version."""
    found = re.match(r"(\d+)\.(\d+)", version)
    return found.groups() if found else ()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _no_model(model_dir: Path) -> ModelError:
    if not model_dir.exists():
        return ModelError(f"no folder {model_dir.resolve()}: give a model folder, or run `python -m src.train`")
    return ModelError(f"no model in {model_dir}: run `python -m src.train` first")


def _temp_path(folder: Path, name: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{name}.", suffix=".tmp")
    os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide the model from other users of the folder
    os.close(fd)
    return Path(tmp)


def _locked(model_dir: Path, shared: bool) -> contextlib.AbstractContextManager:
    """Hold the directory's lock while the model and card are swapped (or read) as a pair."""
    if model_dir.is_file():
        raise ModelError(f"{model_dir} is a file: give the folder that holds {MODEL_FILE} and its card")
    if not model_dir.is_dir():
        raise _no_model(model_dir)
    return file_lock(model_dir / _LOCK_FILE, shared)


@contextlib.contextmanager
def file_lock(path: Path, shared: bool = False) -> Iterator[None]:
    """An advisory lock (`flock`) on `path`, released when the block ends or the process dies.
    Where the lock file cannot be created (a read-only folder), nobody can be writing: no lock."""
    try:
        lock = open(path, "a")
    except OSError:
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
