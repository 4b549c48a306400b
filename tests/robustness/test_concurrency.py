"""Two `python -m src.train` runs at once into the same model directory and the same new SQLite
MLflow store: both finish, the directory holds one complete model, and MLflow has both runs,
each with the model it trained. A loaded model tags from several threads at once as from one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from src.config import ROOT, SAMPLE_CORPUS
from src.persistence import load_model
from src.predict import predict_texts

REGISTERED = "robustness-concurrent"


def test_two_training_runs_at_once(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    corpus = tmp_path / "corpus.jsonl"  # a third of the sample corpus: what is tested is the overlap
    corpus.write_text("".join(SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines(True)[::3]), encoding="utf-8")
    command = [sys.executable, "-m", "src.train", f"data.train={corpus}", f"output.model_dir={tmp_path / 'model'}",
               f"data.cache_dir={tmp_path / 'cache'}", f"tracking.registered_model={REGISTERED}"]
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    runs = [subprocess.Popen([*command, f"model.category.C={c}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for c in (0.3, 0.5)]
    results = [run.communicate(timeout=600) for run in runs]
    for run, (out, err) in zip(runs, results):
        assert run.returncode == 0, err[-3000:]
        assert "MLflow run" in out

    model, card = load_model(tmp_path / "model")
    assert hasattr(model, "named_steps") and len(card["sha256"]) == 64
    files = {p.name for p in (tmp_path / "model").iterdir()}
    assert files == {"tagger.joblib", "tagger.json", ".tagger.lock"}  # no temporary or journal file left

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("local-news-tagger")
    run_ids = {r.info.run_id for r in client.search_runs([experiment.experiment_id])}
    assert run_ids == {out.split("MLflow run ")[-1].split()[0] for out, _ in results}
    assert all(client.get_run(run_id).info.status == "FINISHED" for run_id in run_ids)
    versions = client.search_model_versions(f"name='{REGISTERED}'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    assert {v.run_id for v in versions} == run_ids
    assert str(client.get_model_version_by_alias(REGISTERED, "champion").version) in {"1", "2"}
    for v in versions:  # each version holds the model its own run trained, not the other run's
        folder = client.get_model_version_download_uri(REGISTERED, v.version).removeprefix("file://")
        (card,) = Path(folder).glob("artifacts/*/tagger.json")
        trained_c = json.loads(card.read_text(encoding="utf-8"))["params"]["model.category.C"]
        assert trained_c == float(client.get_run(v.run_id).data.params["model.category.C"])


def test_a_freshly_loaded_model_tags_from_several_threads_as_from_one(fitted_model_dir):
    articles = [("연천군, 보건소 검진 확대", "연천군보건소는 백학면 주민의 건강검진을 늘린다고 밝혔다."),
                ("나주시, 배 축제 개막", "나주시는 영산강 둔치에서 배 축제를 연다고 밝혔다."),
                ("정부, 최저임금 발표", "고용노동부는 내년도 최저임금을 결정했다고 밝혔다.")] * 20
    expected = predict_texts(load_model(fitted_model_dir)[0], articles)
    model, _ = load_model(fitted_model_dir)  # its kiwipiepy analyser is built by whichever thread comes first
    results: dict[int, list[dict]] = {}
    threads = [threading.Thread(target=lambda n=n: results.__setitem__(n, predict_texts(model, articles)))
               for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [results[n] for n in range(4)] == [expected] * 4
