import json

import pytest
import sklearn
from sklearn.base import BaseEstimator
from sklearn.dummy import DummyClassifier
from sklearn.pipeline import Pipeline

from src.errors import ModelError, OutputError
from src.persistence import CARD_FILE, MODEL_FILE, load_model, save_model

CARD = {"versions": {"scikit-learn": sklearn.__version__}}


class Describer(BaseEstimator):
    """Stands in for the tagger's last step: what loading checks is that it can describe."""

    def describe(self, X):
        return [{"category": "admin"} for _ in X]


@pytest.fixture()
def saved(tmp_path):
    save_model(Pipeline([("tag", Describer())]), tmp_path, CARD)
    return tmp_path


def test_round_trip_checks_and_records_the_hash(saved):
    model, card = load_model(saved)
    assert len(card["sha256"]) == 64
    assert model[-1].describe(["x"]) == [{"category": "admin"}]
    assert not list(saved.glob("*.tmp"))


def test_a_pickle_that_is_not_a_tagger_is_refused(tmp_path):
    save_model(DummyClassifier().fit([[0], [1]], [0, 1]), tmp_path, CARD)
    with pytest.raises(ModelError, match="holds a DummyClassifier, not a tagger model"):
        load_model(tmp_path)


def test_missing_model_tells_the_user_to_train(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelError, match=rf"no folder {tmp_path / 'nowhere'}: give a model folder, or run"):
        load_model("nowhere")
    with pytest.raises(ModelError, match=r"run `python -m src.train` first"):
        load_model(tmp_path)


def test_altered_truncated_or_cardless_models_are_refused(saved):
    path = saved / MODEL_FILE
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(ModelError, match="does not match the SHA-256"):
        load_model(saved)
    (saved / CARD_FILE).unlink()
    with pytest.raises(ModelError, match="model card is needed"):
        load_model(saved)


def test_model_of_an_older_tagger_format_is_refused(saved):
    card = json.loads((saved / CARD_FILE).read_text())
    del card["format"]
    (saved / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="model is in format 1"):
        load_model(saved)


def test_model_of_the_previous_format_still_loads(saved):
    card = json.loads((saved / CARD_FILE).read_text())
    card["format"] = 5
    (saved / CARD_FILE).write_text(json.dumps(card))
    assert load_model(saved)[1]["format"] == 5


def test_model_of_another_scikit_learn_major_version_is_refused(saved):
    card = json.loads((saved / CARD_FILE).read_text())
    card["versions"]["scikit-learn"] = "0.24.2"
    (saved / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="written by scikit-learn 0.24.2"):
        load_model(saved)


def test_a_model_that_cannot_be_saved_is_one_error(tmp_path):
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="cannot save the model in .*a_file/m"):
        save_model(Pipeline([("tag", Describer())]), tmp_path / "a_file" / "m", CARD)
