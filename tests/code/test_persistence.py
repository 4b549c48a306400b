import json

import pytest
from sklearn.dummy import DummyClassifier

from src.errors import ModelError
from src.persistence import CARD_FILE, MODEL_FILE, load_model, save_model


@pytest.fixture()
def saved(tmp_path):
    model = DummyClassifier().fit([[0], [1]], [0, 1])
    save_model(model, tmp_path, {"versions": {"scikit-learn": __import__("sklearn").__version__}})
    return tmp_path


def test_round_trip_checks_and_records_the_hash(saved):
    model, card = load_model(saved)
    assert len(card["sha256"]) == 64
    assert model.predict([[0]]).tolist() in ([0], [1])
    assert not list(saved.glob("*.tmp"))


def test_missing_model_tells_the_user_to_train(tmp_path):
    with pytest.raises(ModelError, match=r"run `python -m src.train` first"):
        load_model(tmp_path / "nowhere")
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


def test_model_of_another_scikit_learn_major_version_is_refused(saved):
    card = json.loads((saved / CARD_FILE).read_text())
    card["versions"]["scikit-learn"] = "0.24.2"
    (saved / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="written by scikit-learn 0.24.2"):
        load_model(saved)
