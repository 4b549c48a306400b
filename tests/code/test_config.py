import re
from pathlib import Path

import pytest

from src.config import PARAMS_FILE, ROOT, SAMPLE_CORPUS, Params, flatten_params, load_params, load_taxonomy
from src.errors import ConfigError
from src.gazetteer import load_gazetteer
from src.pipeline import build_pipeline


def test_params_yaml_matches_the_defaults():
    params = load_params(PARAMS_FILE)
    assert params == Params()
    assert params.data.train == (ROOT / "data" / "raw" / "sample_articles.jsonl",) == (SAMPLE_CORPUS,)


def test_training_data_is_one_file_or_several(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_params(PARAMS_FILE, ["data.train=a.jsonl"]).data.train == (tmp_path / "a.jsonl",)
    both = load_params(PARAMS_FILE, ["data.train=[a.jsonl, b.csv]"]).data.train
    assert both == (tmp_path / "a.jsonl", tmp_path / "b.csv")
    settings = tmp_path / "run" / "params.yaml"
    settings.parent.mkdir()
    settings.write_text("data:\n  train: [../a.jsonl, b.csv]\n", encoding="utf-8")
    assert load_params(settings).data.train == (tmp_path / "a.jsonl", tmp_path / "run" / "b.csv")


def test_overrides_are_typed_and_paths_follow_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    params = load_params(PARAMS_FILE, ["model.category.C=2", "data.test=test.jsonl",
                                       "features.word_ngram=[1, 3]", "features.char_ngram=null"])
    assert params.model.category.C == 2.0 and isinstance(params.model.category.C, float)
    assert params.data.test == tmp_path / "test.jsonl"
    assert params.features.word_ngram == (1, 3)
    assert params.features.char_ngram is None


@pytest.mark.parametrize("override, message", [
    ("model.category.gamma=1", "unknown key 'model.category.gamma' (allowed: classifier, C,"),
    ("model.category.C=abc", "model.category.C: expected float, got 'abc'"),
    ("model.category.classifier=forest", "allowed: linear_svc, logistic_regression, sgd, complement_nb"),
    ("data.test_size=0.9", "data.test_size: 0.9 is out of range (allowed: 0.05 to 0.5)"),
    ("features.word_ngram=[3, 1]", "features.word_ngram: [3, 1] is not a valid range"),
    ("features.max_chars=10", "features.max_chars: 10 is out of range"),
    ("seed.value=1", "'seed' has no sub-keys"),
    ("C", "write it as key=value"),
])
def test_bad_overrides_name_the_key_and_the_allowed_values(override, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_params(PARAMS_FILE, [override])


@pytest.mark.parametrize("value, expected", [("5000", 5000), ("null", None)])
def test_the_article_length_limit_reaches_the_tokenizer(value, expected):
    params = load_params(PARAMS_FILE, [f"features.max_chars={value}"])
    pipeline = build_pipeline(params, load_taxonomy(), load_gazetteer())
    assert pipeline.named_steps["tokens"].max_chars == expected


def test_bad_yaml_file_is_reported_with_its_name(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("data:\n  on_error: maybe\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="data.on_error: 'maybe' is not allowed"):
        load_params(path)
    path.write_text("data: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_params(path)
    path.write_bytes("seed: 1  # 설정\n".encode("cp949"))
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_params(path)


def test_flatten_params_gives_one_entry_per_setting():
    flat = flatten_params(Params())
    assert flat["model.category.C"] == 0.3
    assert flat["features.pos_tags"] == ("NNG", "NNP", "VV", "VA", "XR", "SL")
    (train_file,) = flat["data.train"]
    assert isinstance(train_file, str) and Path(train_file).name == "sample_articles.jsonl"


def test_an_override_given_twice_is_refused():
    with pytest.raises(ConfigError, match="override 'data.test_size' is given twice: give it once"):
        load_params(PARAMS_FILE, ["data.test_size=0.3", "model.category.C=1", "data.test_size=0.1"])
