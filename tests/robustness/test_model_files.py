"""Model files: a damaged, swapped or incompatible model is refused with a clear message before
anything is unpickled, and a save killed at any point leaves a model that loads."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time

import pytest
from sklearn.base import BaseEstimator
import sklearn

from src import persistence, predict
from src.config import ROOT
from src.errors import ModelError
from src.persistence import CARD_FILE, MODEL_FILE, load_model, save_model
from tests.conftest import EXAMPLES


@pytest.fixture()
def model_dir(fitted_model_dir, tmp_path):
    """A private copy of the session's saved fixture model."""
    return shutil.copytree(fitted_model_dir, tmp_path / "model")


def edit_card(folder, **changes) -> None:
    card = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
    card.update(changes)
    (folder / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")


def replace_model(folder, content: bytes) -> None:
    """Put `content` in place of the model, with a card that vouches for it."""
    (folder / MODEL_FILE).write_bytes(content)
    edit_card(folder, sha256=persistence.sha256_of(folder / MODEL_FILE))


def flip_a_byte(folder) -> None:
    data = bytearray((folder / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / MODEL_FILE).write_bytes(bytes(data))


DAMAGE = {
    "truncated model": (lambda d: (d / MODEL_FILE).write_bytes((d / MODEL_FILE).read_bytes()[:1000]),
                        "does not match the SHA-256 in its card"),
    "one byte changed": (flip_a_byte, "does not match the SHA-256 in its card"),
    "empty model": (lambda d: (d / MODEL_FILE).write_bytes(b""), "does not match the SHA-256"),
    "garbage the card vouches for": (lambda d: replace_model(d, b"not a pickle at all"), "cannot be loaded"),
    "truncated pickle the card vouches for": (
        lambda d: replace_model(d, (d / MODEL_FILE).read_bytes()[:5000]), "cannot be loaded"),
    "model is a folder": (lambda d: ((d / MODEL_FILE).unlink(), (d / MODEL_FILE).mkdir()), "cannot be read"),
    "model missing": (lambda d: (d / MODEL_FILE).unlink(), "run `python -m src.train` first"),
    "card missing": (lambda d: (d / CARD_FILE).unlink(), "model card is needed"),
    "card not JSON": (lambda d: (d / CARD_FILE).write_text("{broken"), "is unreadable (JSONDecodeError)"),
    "card not an object": (lambda d: (d / CARD_FILE).write_text("[1, 2]"), "is not a model card"),
    "card without a hash": (lambda d: edit_card(d, sha256=None), "has no SHA-256 of the model file"),
    "card of another model": (lambda d: edit_card(d, sha256="0" * 64), "does not match the SHA-256"),
    "older scikit-learn major": (lambda d: edit_card(d, versions={"scikit-learn": "0.24.2"}),
                                 "written by scikit-learn 0.24.2"),
    "newer scikit-learn major": (lambda d: edit_card(d, versions={"scikit-learn": "99.0"}),
                                 "written by scikit-learn 99.0"),
    "other scikit-learn minor": (lambda d: edit_card(d, versions={"scikit-learn": "1.6.1"}),
                                 f"written by scikit-learn 1.6.1; this is {sklearn.__version__}: install "
                                 "scikit-learn 1.6.* or retrain it"),
    "no library versions": (lambda d: edit_card(d, versions={}), "written by scikit-learn unknown; this is "
                            f"{sklearn.__version__}: retrain it"),
    "older tagger format": (lambda d: edit_card(d, format=1), "model is in format 1"),
    "newer tagger format": (lambda d: edit_card(d, format=99), "a newer version of the tagger wrote it"),
    "no folder": (lambda d: shutil.rmtree(d), "no folder"),
}


@pytest.mark.parametrize("case", DAMAGE)
def test_damaged_model_is_refused_with_a_clear_message(model_dir, capsys, case):
    damage, message = DAMAGE[case]
    damage(model_dir)
    with pytest.raises(ModelError, match=None) as error:
        load_model(model_dir)
    assert message in str(error.value)
    assert predict.main(["--model", str(model_dir), str(EXAMPLES / "yeoncheon_health.txt")]) == 4
    out, err = capsys.readouterr()
    assert not out and err == f"error: {error.value}\n"


class _Payload:
    """Unpickling this creates the file `path`: the proof that a pickle ran code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


def test_hash_is_checked_before_anything_is_unpickled(model_dir, tmp_path):
    marker = tmp_path / "code-ran"
    (model_dir / MODEL_FILE).write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ModelError, match="does not match the SHA-256"):
        load_model(model_dir)
    assert not marker.exists()


def test_readme_warns_that_model_files_must_be_trusted():
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "loading a pickle runs code: use only model files from a source you trust" in readme


class _Killed(BaseException):
    """Stands in for SIGKILL at one step of `save_model` (whose `finally` still removes the
    temporary files a real kill would leave behind; loading never looks at them)."""


class NewTagger(BaseEstimator):
    """Stands in for a newly trained tagger: loading checks only that its last step describes."""

    def describe(self, X):
        return ["new" for _ in X]


@pytest.mark.parametrize("kill_at", range(5))
def test_a_save_killed_at_any_step_leaves_a_loadable_model(model_dir, monkeypatch, kill_at):
    """Die while writing the new model (0), before each of the three renames (1-3), or not at
    all (4): the directory loads the old model until the new one is in, then the new one."""
    from sklearn.pipeline import Pipeline

    old_sha = json.loads((model_dir / CARD_FILE).read_text())["sha256"]
    new_model = Pipeline([("tag", NewTagger())])
    steps = {"n": 0}
    real_replace, real_dump = os.replace, __import__("joblib").dump

    def dump(value, path):
        if kill_at == 0:
            open(path, "wb").write(pickle.dumps(value)[:10])
            raise _Killed
        return real_dump(value, path)

    def replace(source, target):
        steps["n"] += 1
        if steps["n"] == kill_at:
            raise _Killed
        real_replace(source, target)

    monkeypatch.setattr("joblib.dump", dump)
    monkeypatch.setattr(persistence.os, "replace", replace)
    if kill_at < 4:
        with pytest.raises(_Killed):
            save_model(new_model, model_dir, {"versions": {"scikit-learn": sklearn.__version__}})
    else:
        save_model(new_model, model_dir, {"versions": {"scikit-learn": sklearn.__version__}})
    monkeypatch.undo()

    model, card = load_model(model_dir)
    if kill_at <= 2:  # the model file was not swapped yet
        assert card["sha256"] == old_sha and hasattr(model, "named_steps")
    else:  # the new model went in, and with it its card (from the journal, if need be)
        assert model[-1].describe([1]) == ["new"]


def test_training_killed_midway_leaves_the_previous_model(model_dir, tmp_path):
    """`python -m src.train` killed with SIGKILL while it fits, and again while it writes the model:
    the model directory still loads (the previous model, or, if the kill came late, the new one)."""
    previous = json.loads((model_dir / CARD_FILE).read_text())["sha256"]
    command = [sys.executable, "-m", "src.train", f"output.model_dir={model_dir}", "tracking.enabled=false",
               f"data.cache_dir={tmp_path / 'cache'}"]
    states = []  # what the directory held after each kill

    def fitting() -> bool:  # the training articles are tokenized and cached
        return any((tmp_path / "cache").glob("kiwi-*.joblib"))

    for kill_when in (fitting, lambda: writing_model(model_dir)):
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        try:
            while process.poll() is None and not kill_when() and time.monotonic() - started < 120:
                time.sleep(0.002)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        _, card = load_model(model_dir)
        states.append("previous" if card["sha256"] == previous else "new")
    assert states[0] == "previous"  # the second kill may land just after the swap: either loads


def writing_model(folder) -> bool:
    """A temporary model file with bytes in it: the model is being written."""
    for path in folder.glob(f"{MODEL_FILE}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):  # renamed into place meanwhile
            if path.stat().st_size:
                return True
    return False
