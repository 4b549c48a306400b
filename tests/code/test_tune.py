import pytest

from src import tune
from src.errors import ConfigError
from tests.conftest import SAMPLE_CORPUS


def write_sweep(tmp_path, text):
    path = tmp_path / "sweep.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_grid_and_random_configurations(tmp_path):
    spec = "params:\n  model.category.C: [0.1, 1.0]\n  features.char_ngram: [null, [2, 3]]\n"
    grid = tune.load_sweep(write_sweep(tmp_path, spec))
    assert len(grid.configurations) == 4
    assert {"model.category.C": 1.0, "features.char_ngram": [2, 3]} in grid.configurations
    drawn = tune.load_sweep(write_sweep(tmp_path, "method: random\ntrials: 3\nseed: 1\n" + spec))
    assert len(drawn.configurations) == 3 and all(c in grid.configurations for c in drawn.configurations)


@pytest.mark.parametrize("spec, message", [
    ("params:\n  model.category.C: 0.1\n", "non-empty lists"),
    ("method: bayes\nparams:\n  model.category.C: [1]\n", "allowed: grid, random"),
    ("budget: 3\nparams:\n  model.category.C: [1]\n", "unknown key 'budget'"),
    ("- model.category.C\n", "expected a mapping"),
    ("method: grid\n", "non-empty lists"),
    ("method: random\ntrials: many\nparams:\n  model.category.C: [1]\n", "trials: expected int"),
    ("method: random\ntrials: 0\nparams:\n  model.category.C: [1]\n", "trials: 0"),
    ("trials: 3\nparams:\n  model.category.C: [1]\n", "trials goes with method: random"),
    ("params: [unclosed\n", "is not valid YAML"),
    ("metric: f1\nparams:\n  model.category.C: [1]\n", "metric: 'f1' is not allowed"),
])
def test_bad_sweep_files_are_explained(tmp_path, spec, message):
    with pytest.raises(ConfigError, match=message):
        tune.load_sweep(write_sweep(tmp_path, spec))


def test_a_bad_value_is_caught_before_anything_trains(tmp_path, monkeypatch):
    path = write_sweep(tmp_path, "params:\n  model.category.C: [0.3, -1]\n")
    monkeypatch.setattr(tune, "load_data", lambda *args: pytest.fail("a configuration trained"))
    with pytest.raises(ConfigError, match=f"^{path}: model.category.C: -1.0 is out of range"):
        tune.run_sweep(tune.load_sweep(path), tune.PARAMS_FILE, [], track=False)


def test_the_ranking_metric_is_one_column_of_the_table():
    rows = [{"model.category.C": 0.3, "municipality_accuracy": 0.9, "category_accuracy_with_alt": 0.95,
             "train_seconds": 1.0}]
    header = tune.comparison_table(rows, ["model.category.C"], "municipality_accuracy").splitlines()[0]
    assert header.count("municipality_accuracy") == 1


def test_a_setting_both_swept_and_given_is_refused(tmp_path, capsys):
    sweep = write_sweep(tmp_path, "params:\n  model.category.C: [0.3, 1.0]\n")
    assert tune.main([str(sweep), "model.category.C=2", "--no-track"]) == 2
    assert capsys.readouterr().err == (f"error: model.category.C is set on the command line and swept by {sweep}: "
                                       "give it in one place\n")


def test_sweep_logs_children_under_a_parent_with_the_table(tmp_path, monkeypatch, capsys):
    corpus = tmp_path / "slice.jsonl"
    corpus.write_text("".join(SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines(True)[::2]), encoding="utf-8")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    sweep = write_sweep(tmp_path, "params:\n  model.category.C: [0.3, 1.0]\n")
    assert tune.main([str(sweep), f"data.train={corpus}", "data.cache_dir=null"]) == 0
    assert "| model.category.C | category_macro_f1 |" in capsys.readouterr().out

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("local-news-tagger").experiment_id])
    (parent,) = [r for r in runs if r.data.tags["kind"] == "sweep"]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(r.data.params["model.category.C"] for r in children) == ["0.3", "1.0"]
    assert "best_category_macro_f1" in parent.data.metrics
    assert {a.path for a in client.list_artifacts(parent.info.run_id)} >= {"sweep_results.md"}


def test_a_sweep_stops_before_training_when_the_tracking_server_is_down(tmp_path, monkeypatch, capsys, server_down):
    monkeypatch.setattr(tune, "fit_and_score", lambda *args: pytest.fail("a configuration trained"))
    sweep = write_sweep(tmp_path, "params:\n  model.category.C: [0.3, 1.0]\n")
    assert tune.main([str(sweep)]) == 6
    assert "(the server does not answer); no configuration was trained: set" in capsys.readouterr().err


def test_an_interrupted_sweep_leaves_its_parent_run_marked_killed(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(tune, "fit_and_score", interrupted)
    sweep = write_sweep(tmp_path, "params:\n  model.category.C: [0.3, 1.0]\n")
    assert tune.main([str(sweep), "data.cache_dir=null"]) == 130

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    (parent,) = client.search_runs([client.get_experiment_by_name("local-news-tagger").experiment_id])
    assert parent.data.tags["kind"] == "sweep" and parent.info.status == "KILLED"
