"""Faults in settings: an unknown key, a wrong type or an out-of-range value, in params.yaml or
in a key=value override, is one line naming the key and what is allowed (exit code 2)."""

from __future__ import annotations

import errno

import pytest

from src import train
from src.config import load_params
from src.errors import ConfigError

# (params.yaml text, the same as an override or None, what the message must say: one text or several)
CASES = {
    "unknown key": ("colour: red\n", "colour=red",
                    "unknown key 'colour' (allowed: seed, data, features, model, predict, output, tracking)"),
    "unknown nested key": ("model:\n  category:\n    gamma: 1\n", "model.category.gamma=1",
                           "unknown key 'model.category.gamma' (allowed: classifier, C, alpha,"),
    "float given text": ("model:\n  category:\n    C: abc\n", "model.category.C=abc",
                         "model.category.C: expected float, got 'abc'"),
    "int given a float": ("seed: 1.5\n", "seed=1.5", "seed: expected int, got 1.5"),
    "int given a bool": ("seed: true\n", "seed=true", "seed: expected int, got True"),
    "bool given text": ("tracking:\n  enabled: maybe\n", "tracking.enabled=maybe",
                        "tracking.enabled: expected bool, got 'maybe'"),
    "list given text": ("features:\n  pos_tags: NNG\n", "features.pos_tags=NNG",
                        "features.pos_tags: expected a list, got 'NNG'"),
    "empty list": ("features:\n  pos_tags: []\n", "features.pos_tags=[]",
                   "features.pos_tags: give at least one POS tag"),
    "tag kiwipiepy does not have": ("features:\n  pos_tags: [NNG, XYZ]\n", "features.pos_tags=[NNG, XYZ]",
                                    "features.pos_tags: XYZ is not a kiwipiepy tag"),
    "pair of the wrong length": ("features:\n  word_ngram: [1, 2, 3]\n", "features.word_ngram=[1, 2, 3]",
                                 "features.word_ngram: expected 2 values, got [1, 2, 3]"),
    "path given a list": ("data:\n  test: [a]\n", "data.test=[a]", "data.test: expected a file path"),
    "no training file": ("data:\n  train: []\n", "data.train=[]", "data.train: give at least one file"),
    "training files left empty": ("data:\n  train:\n", "data.train=",
                                  "data.train: expected a file path or a list of file paths, got None"),
    "training file listed twice": ("data:\n  train: [a.jsonl, ./a.jsonl]\n", "data.train=[a.jsonl, ./a.jsonl]",
                                   ("data.train: ", "a.jsonl is listed twice")),
    "test file also a training file": ("data:\n  train: a.jsonl\n  test: a.jsonl\n", None,
                                       ("data.test: ", "a.jsonl is also a training file")),
    "path left empty": ("output:\n  model_dir:\n", "output.model_dir=", "output.model_dir: expected a file path"),
    "choice not allowed": ("data:\n  on_error: maybe\n", "data.on_error=maybe",
                           "data.on_error: 'maybe' is not allowed (allowed: fail, skip)"),
    "classifier not allowed": ("model:\n  category:\n    classifier: forest\n",
                               "model.category.classifier=forest",
                               "(allowed: linear_svc, logistic_regression, sgd, complement_nb)"),
    "out of range": ("data:\n  test_size: 0.9\n", "data.test_size=0.9",
                     "data.test_size: 0.9 is out of range (allowed: 0.05 to 0.5)"),
    "below the range": ("predict:\n  top_k: 0\n", "predict.top_k=0",
                        "predict.top_k: 0 is out of range (allowed: 1 to 10)"),
    "not a number": ("model:\n  category:\n    C: .nan\n", "model.category.C=.nan",
                     "model.category.C: nan is out of range (allowed: 1e-06 to 1000000.0)"),
    "infinite": ("model:\n  municipality:\n    learning_rate: .inf\n", "model.municipality.learning_rate=.inf",
                 "model.municipality.learning_rate: inf is out of range (allowed: 0.001 to 1.0)"),
    "invalid n-gram range": ("features:\n  char_ngram: [2, 5]\n", "features.char_ngram=[2, 5]",
                             "features.char_ngram: [2, 5] is not a valid range (allowed: 1 <= min <= max <= 3)"),
    "section given a value": ("data: 5\n", "data=5", ("data", "expected a mapping, got 5")),
    "setting below a value": (None, "seed.value=1", "override 'seed.value': 'seed' has no sub-keys"),
    "override without =": (None, "model.category.C", "write it as key=value"),
    "file not YAML": ("data: [unclosed\n", None, "is not valid YAML"),
    "file not a mapping": ("- a\n- b\n", None, "expected a mapping of settings at the top level"),
    "file with a Python tag": ("seed: !!python/object/apply:os.system ['true']\n", None, "is not valid YAML"),
}
FILE_CASES = [name for name, (text, _, _) in CASES.items() if text is not None]
OVERRIDE_CASES = [name for name, (_, override, _) in CASES.items() if override is not None]


@pytest.mark.parametrize("case", FILE_CASES)
def test_bad_params_file_is_one_line_naming_the_key(tmp_path, capsys, case):
    text, _, message = CASES[case]
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_params(path)
    assert says(str(error.value), message)
    assert train.main(["--params", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {error.value}\n"


@pytest.mark.parametrize("case", OVERRIDE_CASES)
def test_bad_override_is_one_line_naming_the_key(capsys, case):
    _, override, message = CASES[case]
    assert train.main([override]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says(err, message) and err.count("\n") == 1


def says(text: str, message: str | tuple[str, ...]) -> bool:
    return all(part in text for part in ((message,) if isinstance(message, str) else message))


def test_missing_params_file_is_named(tmp_path, capsys):
    assert train.main(["--params", str(tmp_path / "none.yaml")]) == 2
    assert capsys.readouterr().err == f"error: cannot read {tmp_path / 'none.yaml'}: No such file or directory\n"


def test_a_params_file_with_a_number_as_key_is_named(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("1: a\ncolour: b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key"):
        load_params(path)


@pytest.mark.parametrize("where", ["file", "override"])
def test_deeply_nested_yaml_is_refused(tmp_path, where):
    path = tmp_path / "params.yaml"
    path.write_text("seed: " + "[" * 20_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_params(path) if where == "file" else load_params(overrides=["seed=" + "[" * 20_000])


@pytest.mark.parametrize("key", ["output.model_dir", "data.cache_dir"])
def test_a_folder_that_cannot_be_made_is_named_before_fitting(tmp_path, capsys, key):
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    overrides = [f"{key}={tmp_path / 'a_file' / 'models'}", "tracking.enabled=false"]
    if key == "data.cache_dir":
        overrides.append(f"output.model_dir={tmp_path / 'model'}")
    assert train.main(overrides) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {key}: cannot make the folder ") and err.count("\n") == 1


def test_a_model_folder_that_cannot_be_written_is_named_before_fitting(tmp_path, capsys, monkeypatch):
    def read_only(dir):  # the tests run as root, who may write anywhere: a read-only mount, simulated
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(train.tempfile, "TemporaryFile", read_only)
    monkeypatch.setattr(train, "fit_and_score", lambda *args: pytest.fail("fitted"))
    assert train.main([f"output.model_dir={tmp_path}", "tracking.enabled=false"]) == 2
    assert capsys.readouterr().err == (f"error: output.model_dir: cannot write in the folder {tmp_path} "
                                       "(Read-only file system)\n")


def test_a_path_with_a_nul_character_is_named(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text('data:\n  cache_dir: "cache\\0dir"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="data.cache_dir"):
        load_params(path)
