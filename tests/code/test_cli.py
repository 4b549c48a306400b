"""The two entry points, called as a user would: `main([...])` with temporary folders."""

import errno
import io
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from src import evaluate, output, predict, train
from src.errors import DataError
from src.config import ROOT, load_params, load_taxonomy
from tests.conftest import EXAMPLES, SAMPLE_CORPUS

EXAMPLE = EXAMPLES / "yeoncheon_health.txt"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Train on a slice of the bundled corpus, given as two files, into a temporary model dir and
    MLflow store."""
    folder = tmp_path_factory.mktemp("run")
    lines = SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines(True)[::4]
    halves = folder / "slice_a.jsonl", folder / "slice_b.jsonl"
    halves[0].write_text("".join(lines[:100]), encoding="utf-8")
    halves[1].write_text("".join(lines[100:]), encoding="utf-8")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        code = train.main([f"data.train=[{halves[0]}, {halves[1]}]", f"output.model_dir={folder / 'model'}",
                           "data.cache_dir=null", "tracking.registered_model=tagger-test"])
    return code, folder, uri


def test_train_writes_model_card_and_one_mlflow_run(trained, capsys):
    code, folder, uri = trained
    assert code == 0
    card = json.loads((folder / "model" / "tagger.json").read_text(encoding="utf-8"))
    assert {"metrics", "params", "data", "versions", "git_commit", "sha256"} <= set(card)
    n_slice = sum(len(f.read_text(encoding="utf-8").splitlines()) for f in folder.glob("slice_*.jsonl"))
    assert card["data"]["train"]["articles"] + card["data"]["test"]["articles"] == n_slice
    assert card["data"]["test"]["articles"] == math.ceil(0.2 * n_slice)  # data.test_size, as scikit-learn rounds it
    assert [Path(f["path"]).name for f in card["data"]["train"]["files"]] == ["slice_a.jsonl", "slice_b.jsonl"]
    assert all(len(f["sha256"]) == 64 for f in card["data"]["train"]["files"])

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("local-news-tagger").experiment_id])
    assert run.data.params["model.category.C"] == "0.3"
    assert run.data.params["features.pos_tags"] == "NNG,NNP,VV,VA,XR,SL"
    for metric in ("category_macro_f1", "category_accuracy_with_alt", "category_f1_health",
                   "municipality_accuracy", "train_seconds", "tokens_per_second"):
        assert metric in run.data.metrics
    assert run.data.metrics["train_articles"] + run.data.metrics["test_articles"] == n_slice
    assert run.data.metrics["skipped_records"] == 0
    reports = {a.path for a in client.list_artifacts(run.info.run_id, "reports")}
    assert reports == {"reports/confusion_matrix.png", "reports/classification_report.txt",
                       "reports/category_mistakes.csv", "reports/municipality_mistakes.csv",
                       "reports/worst_mistakes.csv", "reports/reliability.png"}
    (version,) = client.search_model_versions("name='tagger-test'")
    assert version.run_id == run.info.run_id
    assert run.info.run_name == "train slice_a.jsonl, slice_b.jsonl → its held-out 20%"
    assert version.description.startswith(f"Trained on {folder / 'slice_a.jsonl'}, {folder / 'slice_b.jsonl'} "
                                          f"({card['data']['train']['articles']:,} articles); category_macro_f1 0.")
    import mlflow

    mlflow.set_tracking_uri(uri)
    answers = mlflow.models.get_model_info(f"runs:/{run.info.run_id}/model").signature.outputs.inputs
    assert [c.name for c in answers][::len(answers) - 1] == ["uid", "error"] and not any(c.required for c in answers)
    champion = client.get_model_version_by_alias("tagger-test", "champion")
    assert champion.version == version.version  # the first version has nobody to beat
    assert run.data.tags["champion_decision"].startswith("promoted")


def test_a_version_scored_on_other_test_data_does_not_challenge_the_champion(tmp_path, monkeypatch):
    corpus = tmp_path / "slice.jsonl"
    corpus.write_text("".join(SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines(True)[::8]), encoding="utf-8")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    common = [f"data.train={corpus}", f"output.model_dir={tmp_path / 'model'}", "data.cache_dir=null",
              "tracking.registered_model=gate-test"]
    assert train.main(common) == 0
    assert train.main([*common, "data.test_size=0.3"]) == 0  # another held-out split: other test data

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    second = next(v for v in client.search_model_versions("name='gate-test'") if v.version in (2, "2"))
    assert client.get_run(second.run_id).data.tags["champion_decision"].startswith("not compared: ")
    assert str(client.get_model_version_by_alias("gate-test", "champion").version) == "1"


def test_the_python_api_takes_any_iterable_of_articles_and_refuses_what_is_not_one(fitted_model):
    import pandas as pd

    texts = ["연천군보건소는 백학면에서 검진을 한다."]
    (record,) = predict.predict_texts(fitted_model, (text for text in texts), top_k=2)
    assert record["municipality"] == "경기도 연천군" and len(record["category_top"]) == 2
    assert predict.predict_texts(fitted_model, pd.DataFrame({"text": texts}), top_k=2) == [record]
    for one in (texts[0], {"title": "연천 소식", "text": texts[0]}):
        with pytest.raises(TypeError, match=r"not one article: predict_texts\(model, \[article\]\)"):
            predict.predict_texts(fitted_model, one)
    with pytest.raises(TypeError, match="a dict with a text, not None"):
        predict.predict_texts(fitted_model, [None])
    for top_k in (0, 2.5, "3"):
        with pytest.raises(ValueError, match=f"top_k={top_k!r}: give a whole number from 1 to 10"):
            predict.predict_texts(fitted_model, texts, top_k=top_k)
    with pytest.raises(ValueError, match=r"needs a text column \(its columns: body\)"):
        predict.predict_texts(fitted_model, pd.DataFrame({"body": texts}))


def test_training_says_when_it_replaces_a_model_trained_on_other_files(tmp_path, caplog):
    caplog.set_level("INFO", logger="src.train")
    lines = SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines(True)
    mine, bundled = tmp_path / "mine.jsonl", tmp_path / "bundled.jsonl"
    mine.write_text("".join(lines[::8]), encoding="utf-8")
    bundled.write_text("".join(lines[1::8]), encoding="utf-8")
    common = [f"output.model_dir={tmp_path / 'model'}", "--no-track", "data.cache_dir=null"]  # options among overrides
    assert train.main([f"data.train={mine}", *common]) == 0
    assert train.main([f"data.train={mine}", *common]) == 0
    assert "it replaces" not in caplog.text
    assert train.main([f"data.train={bundled}", *common]) == 0
    assert "it replaces the model trained there on mine.jsonl" in caplog.text


def test_test_data_without_a_category_is_refused_and_test_data_seen_in_training_is_warned_of(
        tmp_path, caplog, taxonomy, gazetteer):
    lines = SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines(True)
    files = {"train": lines[:200], "others": [line for line in lines if json.loads(line)["category"] == "other"],
             "overlap": lines[190:230]}
    for name, part in files.items():
        (tmp_path / f"{name}.jsonl").write_text("".join(part), encoding="utf-8")

    def loaded(test: str):
        params = load_params(overrides=[f"data.train={tmp_path / 'train.jsonl'}", f"data.test={tmp_path / test}"])
        return train.load_data(params, taxonomy, gazetteer)

    with pytest.raises(DataError, match="others.jsonl: every article is labelled other, so the category cannot be"):
        loaded("others.jsonl")
    assert "in the training data too" not in caplog.text
    loaded("overlap.jsonl")
    assert "10 of the 40 test articles are in the training data too (the same text)" in caplog.text


def test_training_files_joined_by_a_comma_are_told_how_to_list_them(capsys):
    assert train.main(["data.train=mine.jsonl,data/raw/sample_articles.jsonl", "--no-track"]) == 2
    assert capsys.readouterr().err.endswith("several files are given as a list, "
                                            "'data.train=[a.jsonl,b.csv]' (quoted for the shell)\n")


def test_predict_a_file_from_the_trained_model(trained, capsys):
    _, folder, _ = trained
    assert predict.main(["--model", str(folder / "model"), "--json", str(EXAMPLE)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["file"] == str(EXAMPLE)
    assert record["municipality"] == "경기도 연천군"
    assert record["category_name"] == load_taxonomy().categories[record["category"]]  # e.g. 보건·의료
    assert {"category", "category_score", "category_top", "municipality_code",
            "municipality_score", "evidence", "low_confidence"} <= set(record)


def test_predict_registry_model(trained, capsys, monkeypatch):
    _, _, uri = trained
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert predict.main(["--model", "models:/tagger-test@champion", str(EXAMPLE)]) == 0
    assert "경기도 연천군" in capsys.readouterr().out
    assert predict.main(["--model", "models:/no-such-model@champion", str(EXAMPLE)]) == 4


def test_an_evaluation_run_names_the_version_it_scored_and_the_run_that_trained_it(trained, monkeypatch):
    _, folder, uri = trained
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert evaluate.main(["--model", str(folder / "model"), "--data", str(folder / "slice_a.jsonl")]) == 0

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    (version,) = client.search_model_versions("name='tagger-test'")
    experiment = client.get_experiment_by_name("local-news-tagger").experiment_id
    (run,) = client.search_runs([experiment], "tags.kind = 'evaluation'")
    assert run.info.run_name == f"evaluate slice_a.jsonl, tagger-test version {version.version}"
    assert run.data.params["model_training_run"] == version.run_id
    articles = len((folder / "slice_a.jsonl").read_text(encoding="utf-8").splitlines())
    assert (run.data.metrics["test_articles"], run.data.metrics["skipped_records"]) == (articles, 0)


def test_a_tracking_server_that_is_down_fails_in_seconds_and_leaves_no_setting_behind(capsys, server_down):
    started = time.monotonic()
    assert predict.main(["--model", "models:/tagger-test@champion", str(EXAMPLE)]) == 4
    assert time.monotonic() - started < 30
    assert capsys.readouterr().err.startswith("error: cannot fetch models:/tagger-test@champion from http")
    assert not [name for name in os.environ if name.startswith("MLFLOW_HTTP_REQUEST")]


def test_training_and_evaluation_keep_their_work_when_the_tracking_server_is_down(
        fitted_model_dir, tmp_path, capsys, server_down):
    corpus = tmp_path / "slice.jsonl"
    corpus.write_text("".join(SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines(True)[::8]), encoding="utf-8")
    started = time.monotonic()
    assert train.main([f"data.train={corpus}", f"output.model_dir={tmp_path / 'model'}", "data.cache_dir=null"]) == 6
    out, err = capsys.readouterr()
    assert "macro-F1" in out and (tmp_path / "model" / "tagger.joblib").exists()
    assert err.splitlines()[-1] == (
        f"error: the MLflow store {server_down} could not log the run (the server does not answer); the model is "
        f"saved in {tmp_path / 'model'}: set MLFLOW_TRACKING_URI to a server that answers or to sqlite:///PATH, "
        "or give --no-track")
    assert evaluate.main(["--model", str(fitted_model_dir), "--data", str(corpus)]) == 6
    out, err = capsys.readouterr()
    assert "category_macro_f1" in out and "(the server does not answer); the figures are above: set" in err
    assert train.main([f"data.train={corpus}", f"output.model_dir={tmp_path / 'model'}", "data.cache_dir=null",
                       "--no-track"]) == 0
    assert time.monotonic() - started < 90
    assert not [name for name in os.environ if name.startswith("MLFLOW_HTTP_REQUEST")]


def test_a_store_that_is_not_a_database_fails_in_one_line(fitted_model_dir, tmp_path, capsys, monkeypatch):
    store = tmp_path / "notes.db"
    store.write_text("not a database\n", encoding="utf-8")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store}")
    assert evaluate.main(["--model", str(fitted_model_dir), "--data", str(SAMPLE_CORPUS)]) == 6
    assert capsys.readouterr().err.splitlines()[-1].startswith(
        f"error: the MLflow store sqlite:///{store} could not log the run ((sqlite3.DatabaseError) file is not a "
        "database)")


def test_a_registry_model_in_a_store_that_does_not_exist_is_refused_without_making_it(tmp_path, capsys, monkeypatch):
    store = tmp_path / "mistyped.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store}")
    assert predict.main(["--model", "models:/tagger-test@champion", str(EXAMPLE)]) == 4
    assert capsys.readouterr().err == (f"error: cannot fetch models:/tagger-test@champion: there is no MLflow store "
                                       f"{store} (train a model first, or set MLFLOW_TRACKING_URI)\n")
    assert not store.exists()


def test_batch_keeps_order_and_reports_bad_records(fitted_model_dir, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([
        json.dumps({"uid": "a", "title": "연천군 소식", "text": "연천군은 백학면에서 축제를 연다."}, ensure_ascii=False),
        '{"uid": "broken", ',
        json.dumps({"uid": "c", "title": "", "text": "English only text"}),
        json.dumps({"uid": "d", "title": "부산 중구 소식", "text": "부산 중구는 광복동에서 점검을 한다."}, ensure_ascii=False),
    ]), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code = predict.main(["--model", str(fitted_model_dir), "--input", str(source), "--output", str(out)])
    assert code == 1
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line.get("uid") for line in lines] == ["a", None, "c", "d"]
    assert "error" in lines[1] and "no Korean text" in lines[2]["error"]
    assert lines[0]["municipality"] == "경기도 연천군" and "category_score" in lines[3]
    assert "2 record(s) could not be tagged" in capsys.readouterr().err


def test_bad_files_are_reported_and_the_rest_tagged(fitted_model_dir, write, capsys):
    files = [str(EXAMPLES / "busan_junggu_safety_cp949.txt"), str(write("empty.txt", "")),
             str(write("binary.txt", b"\x00\x01\x02")), "missing.txt"]
    assert predict.main(["--model", str(fitted_model_dir), *files]) == 1
    out, err = capsys.readouterr()
    assert "부산광역시 중구" in out
    assert len(err.strip().splitlines()) == 4 and "Traceback" not in err
    assert err.strip().endswith("3 of 4 files could not be tagged")


def test_a_folder_says_what_it_passed_over(fitted_model_dir, tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    for name, content in [("a.txt", EXAMPLE.read_bytes()), ("b.hwp", b"x"), ("c.text", b"x"), (".DS_Store", b"x")]:
        (tmp_path / name).write_bytes(content)
    assert predict.main(["--model", str(fitted_model_dir), str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(str(tmp_path / "a.txt"))
    assert err == (f"note: {tmp_path}: 3 entries passed over, as only the .txt files of a folder are read "
                   "(b.hwp, c.text, sub/)\n")


def test_records_without_usable_text_get_an_error_each(fitted_model_dir, tmp_path, capsys):
    good = {"title": "연천 소식", "text": "연천군은 백학면에서 축제를 연다."}
    records = [{"uid": "body", "title": "연천 소식", "body": good["text"]}, {"uid": "list", **good, "text": ["연천"]},
               {"uid": "blank", "title": "", "text": " "}, {"uid": "number", **good, "title": 7}, {"uid": "ok", **good},
               {"uid": "headline", **good, "text": ""},
               {"uid": "named", "headline": good["title"], "text": "", "date": " ", "views": 3}]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(source), "--output", str(out)]) == 1
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line.get("error", "").split(": ", 1)[-1] for line in lines] == [
        "no text field (the record has: uid, title, body; the article goes in a text field, left empty for a "
        "headline alone)",
        "field text is list, not text", "empty text",
        "field title is int, not text", "", "", "empty text (the record has text in: headline)"]
    assert lines[-2]["municipality"] == "경기도 연천군"  # tagged from its headline alone
    assert "5 record(s) could not be tagged" in capsys.readouterr().err


def test_output_is_not_touched_when_the_input_cannot_be_read(fitted_model_dir, tmp_path, capsys):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"uid": "a", "text": "연천군 소식"}, ensure_ascii=False) + "\n", encoding="utf-8")
    out.write_text("earlier results\n", encoding="utf-8")
    header_only = tmp_path / "k.csv"
    header_only.write_text("번호,제목,기사\n1,연천,연천군은\n", encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    model = ["--model", str(fitted_model_dir)]
    assert predict.main([*model, "--input", str(source), "--output", str(source)]) == 2
    assert predict.main([*model, "--input", str(source), "--output", str(tmp_path / "out.parquet")]) == 2
    assert predict.main([*model, "--input", str(tmp_path / "none.jsonl"), "--output", str(out)]) == 3
    assert predict.main([*model, "--input", str(header_only), "--output", str(out)]) == 3
    assert predict.main([*model, "--input", str(empty), "--output", str(out)]) == 3
    assert source.read_text(encoding="utf-8").startswith('{"uid": "a"')
    assert out.read_text(encoding="utf-8") == "earlier results\n"
    assert capsys.readouterr().err.splitlines() == [
        "error: --output would overwrite --input: give another file",
        "error: --output writes JSON Lines (.jsonl, .ndjson or no ending) or CSV (.csv, which spreadsheet programs "
        "open): not .parquet",
        f"error: {tmp_path / 'none.jsonl'}: No such file or directory",
        f"error: {header_only}: no column text (the columns are: 번호, 제목, 기사; the article goes in a text "
        "column, left empty for a headline alone)",
        f"error: {empty}: no records to tag"]


def test_a_file_of_headlines_without_a_text_column_is_told_how_to_give_them(fitted_model_dir, tmp_path, capsys):
    headlines = tmp_path / "headlines.csv"
    headlines.write_text("uid,title\n1,\"안산시, 청년 창업 지원 확대\"\n", encoding="utf-8")
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(headlines)]) == 3
    assert capsys.readouterr().err == (f"error: {headlines}: no column text (the columns are: uid, title; "
                                       "the article goes in a text column, left empty for a headline alone)\n")
    headlines.write_text("uid,title,text\n1,\"안산시, 청년 창업 지원 확대\",\n", encoding="utf-8")
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(headlines)]) == 0
    assert json.loads(capsys.readouterr().out)["municipality"] == "경기도 안산시"


def test_batch_output_named_csv_is_a_spreadsheet_with_one_row_per_record(fitted_model_dir, tmp_path):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.csv"
    records = [{"uid": "a", "title": "연천 소식", "text": "연천군보건소는 백학면에서 검진을 한다."},
               {"uid": "b", "text": ""}]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(source), "--output", str(out)]) == 1
    assert out.read_bytes().startswith("\ufeffuid,category,".encode("utf-8"))
    import pandas as pd

    rows = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(rows.columns) == list(output.CSV_COLUMNS)
    assert rows["uid"].tolist() == ["a", "b"]
    assert rows.loc[0, "municipality"] == "경기도 연천군" and rows.loc[0, "error"] == ""
    assert json.loads(rows.loc[0, "evidence"])["municipality"][0].startswith("연천")
    assert rows.loc[0, "low_confidence"] in ("true", "false")
    assert rows.loc[1, "category"] == "" and rows.loc[1, "error"] == "in.jsonl:2: empty text"


def test_kept_input_columns_follow_the_uid_and_a_missing_one_is_counted(fitted_model_dir, write, tmp_path, capsys):
    source = write("in.csv", "\ufeffUID, Title ,Text,URL\n"
                             "a,연천 소식,연천군보건소는 백학면에서 검진을 한다.,https://a.example/1\n"
                             "b,빈 기사,,https://a.example/2\n")
    out = tmp_path / "out.csv"
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(source), "--output", str(out),
                         "--keep", "Title,url"]) == 0
    import pandas as pd

    rows = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(rows.columns[:4]) == ["uid", "Title", "url", "category"]
    assert rows["Title"].tolist() == ["연천 소식", "빈 기사"] and rows.loc[1, "url"] == "https://a.example/2"
    assert rows.loc[0, "municipality"] == "경기도 연천군"

    lines = write("in.jsonl", '{"uid": 1, "text": "연천군보건소는 검진을 한다.", "url": "u"}\n'
                              '{"uid": 2, "text": ""}\n{broken\n')
    capsys.readouterr()
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(lines), "--keep", "url"]) == 1
    captured = capsys.readouterr()
    first, second, third = map(json.loads, captured.out.splitlines())
    assert list(first)[:3] == ["uid", "url", "category"] and first["url"] == "u"
    assert second == {"uid": 2, "url": None, "error": "in.jsonl:2: empty text"}
    assert third["url"] is None and "not valid JSON" in third["error"]
    assert "1 record(s) have no url field" in captured.err


def test_korean_column_names_are_read_as_their_fields(fitted_model_dir, write, tmp_path):
    source = write("보도자료.csv", "연번,제목,본문,담당부서\n"
                                "7,연천 소식,\"연천군보건소는\n백학면에서 검진을 한다.\",보건정책과\n", "cp949")
    out = tmp_path / "out.csv"
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(source), "--output", str(out),
                         "--keep", "제목,담당부서"]) == 0
    import pandas as pd

    rows = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert rows.loc[0, ["uid", "제목", "담당부서", "municipality"]].tolist() == ["7", "연천 소식", "보건정책과", "경기도 연천군"]

    both = write("기사.csv", "제목,본문,지역,지자체\n연천 소식,연천군보건소는 검진을 한다.,경기,연천군\n")
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(both), "--output", str(out),
                         "--keep", "지역,지자체"]) == 0  # two label columns are no clash where labels are not read
    rows = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert rows.loc[0, ["지역", "지자체", "municipality"]].tolist() == ["경기", "연천군", "경기도 연천군"]


def test_an_option_given_twice_is_refused_not_replaced(fitted_model_dir, write, capsys):
    first, second = write("a.jsonl", '{"uid": 1, "text": "연천군"}\n'), write("b.jsonl", '{"uid": 2, "text": "양주시"}\n')
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(first), "--input", str(second)]) == 2
    assert capsys.readouterr().err.endswith("error: --input is given twice: give it once\n")


def test_the_summary_of_a_homonym_says_which_governments_the_text_cannot_tell_apart(fitted_model_dir, write, capsys):
    article = write("goseong.txt", "고성군, 공룡엑스포 준비 점검\n고성군은 당항포 일원에서 열리는 공룡엑스포 준비 상황을 "
                                   "점검했다고 밝혔다. 고성군 관계자는 관람객 안전에 만전을 기하겠다고 말했다.\n")
    assert predict.main(["--model", str(fitted_model_dir), str(article)]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "municipality" in line)
    assert line.startswith("  municipality  없음, as the text cannot tell ")
    assert "경상남도 고성군" in line and "강원특별자치도 고성군" in line and line.endswith("next: -")


def test_the_summary_flags_a_government_the_head_is_less_sure_of_than_not():
    record = {"category": "urban", "category_score": 0.86, "category_top": [{"label": "urban", "score": 0.86}],
              "municipality": "대전광역시", "municipality_code": "30000", "municipality_score": 0.38,
              "municipality_top": [{"label": "대전광역시", "score": 0.38}, {"label": "세종특별자치시", "score": 0.37}],
              "evidence": {"category": ["철도"], "municipality": ["대전시", "세종시"]}, "low_confidence": False}
    assert "  municipality  대전광역시 [30000] 0.38  (low confidence)   next: 세종특별자치시 0.37" in \
        predict._summary("joint.txt", record)


def test_a_text_file_of_headlines_is_one_record_per_line(fitted_model_dir, write, tmp_path, capsys):
    source = write("feed.txt", "연천군, 백학면 주민 건강검진 확대\n\n안산시, 청년 창업 지원 확대\n", encoding="cp949")
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(source), "--keep", "title",
                         "--output", "-"]) == 0
    captured = capsys.readouterr()
    first, second = map(json.loads, captured.out.splitlines())
    assert (first["uid"], first["title"], first["municipality"]) == (1, "연천군, 백학면 주민 건강검진 확대", "경기도 연천군")
    assert (second["uid"], second["municipality"]) == (3, "경기도 안산시")
    assert "read like sentences" not in captured.err
    article = write("article.txt", "연천군, 건강검진 확대\n연천군은 백학면 주민의 건강검진을 늘린다고 밝혔다.\n")
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(article), "--output", "-"]) == 0
    assert ("note: 1 of 2 lines read like sentences, not headlines (over 100 characters, or ending in '다.'): "
            "a .txt file given to --input is one headline per line; to tag it as one article, give it without "
            "--input") in capsys.readouterr().err
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(tmp_path)]) == 3
    assert "a folder, not a file of records; to tag the .txt articles in it, give the folder without --input" in \
        capsys.readouterr().err
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(tmp_path / "feed.xlsx")]) == 3
    assert "unsupported file type '.xlsx' (use .jsonl, .csv, .parquet, or .txt" in capsys.readouterr().err


def test_parquet_uids_come_back_as_written_when_one_is_missing(fitted_model_dir, tmp_path, capsys):
    import pandas as pd

    source = tmp_path / "in.parquet"
    pd.DataFrame([{"uid": 5, "text": "연천군보건소는 백학면에서 검진을 한다."},
                  {"uid": None, "text": "부산 중구는 광복동 상가에서 화재 안전점검을 한다."}]).to_parquet(source)
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(source)]) == 0
    assert [json.loads(line)["uid"] for line in capsys.readouterr().out.splitlines()] == [5, None]


def test_a_batch_counts_records_without_uid_and_an_interrupted_one_says_what_it_wrote(
        fitted_model_dir, tmp_path, capsys, monkeypatch):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    records = [{"id": 1, "text": "연천군보건소는 백학면에서 검진을 한다."}, {"uid": "b", "text": "부산 중구는 점검을 한다."}]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    command = ["--model", str(fitted_model_dir), "--input", str(source), "--output", str(out)]
    assert predict.main(command) == 0
    assert "warning: 1 record(s) have no uid: the output keeps the input's order" in capsys.readouterr().err
    twice = tmp_path / "twice.jsonl"
    twice.write_text(source.read_text(encoding="utf-8") * 2, encoding="utf-8")
    monkeypatch.setattr(predict, "BATCH_SIZE", 3)  # the second "b" comes in another chunk
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(twice), "--output", str(out)]) == 0
    assert "warning: 1 record(s) repeat the uid of an earlier one" in capsys.readouterr().err
    assert [json.loads(line)["uid"] for line in out.read_text(encoding="utf-8").splitlines()] == [None, "b", None, "b"]

    tag, calls = predict.tag_records, []

    def interrupted_at_the_second_chunk(*args):
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return tag(*args)

    monkeypatch.setattr(predict, "BATCH_SIZE", 1)
    monkeypatch.setattr(predict, "tag_records", interrupted_at_the_second_chunk)
    assert predict.main(command) == 130
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1
    assert capsys.readouterr().err == ("warning: 1 record(s) have no uid: the output keeps the input's order, one "
                                       f"line per record\ninterrupted: 1 record(s) were written, {out} is incomplete\n")

    def terminated(*args):  # what a scheduler sends on a timeout
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(predict, "tag_records", terminated)
    assert predict.main(command) == 143
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1
    assert capsys.readouterr().err == f"interrupted: no records were written, {out} is as it was\n"


class FullDisk(io.RawIOBase):
    """A file on a disk that fills up after `room` bytes: a short write, then ENOSPC."""

    def __init__(self, path, room):
        self.file, self.room = path.open("w+b", buffering=0), room

    def writable(self):
        return True

    def seekable(self):
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return True

    def write(self, data):
        if not self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        written = self.file.write(data[:self.room])
        self.room -= written
        return written

    def tell(self):
        return self.file.tell()

    def truncate(self, size=None):
        return self.file.truncate(size)

    def close(self):
        self.file.close()
        super().close()


def test_a_full_disk_stops_a_batch_with_one_line_and_whole_lines_in_the_output(
        fitted_model_dir, tmp_path, capsys, monkeypatch):
    source, out = tmp_path / "in.jsonl", tmp_path / "new folder" / "out.jsonl"
    records = [{"uid": str(n), "text": "연천군보건소는 백학면에서 검진을 한다."} for n in range(3)]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    command = ["--model", str(fitted_model_dir), "--input", str(source), "--output", str(out)]
    assert predict.main(command) == 0  # the output's folder is made
    line_bytes = len(out.read_bytes()) // 3

    monkeypatch.setattr(predict, "BATCH_SIZE", 1)
    monkeypatch.setattr(output, "_open_output", lambda path: FullDisk(path, room=line_bytes + 10))
    assert predict.main(command) == 5
    assert [json.loads(line)["uid"] for line in out.read_text(encoding="utf-8").splitlines()] == ["0"]
    assert capsys.readouterr().err == (
        f"error: cannot write {out}: No space left on device; 1 record(s) were written, {out} is incomplete\n")


def test_a_batch_of_json_lines_on_standard_input_in_cp949(fitted_model_dir):
    english = [{"uid": f"e{n}", "text": "English only, beyond what a pipe buffers at once"} for n in range(200)]
    records = [*english, {"uid": "a", "text": "연천군보건소는 백학면에서 검진을 한다."}, {"uid": "b"}]
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    assert len(lines) - len(lines.split('{"uid": "a"')[1]) > 8192
    done = subprocess.run([sys.executable, "-m", "src.predict", "--model", str(fitted_model_dir), "--input", "-"],
                          cwd=ROOT, input=lines.encode("cp949"), capture_output=True)
    assert done.returncode == 1
    *_, korean, no_text = map(json.loads, done.stdout.decode("utf-8").splitlines())
    assert korean["municipality"] == "경기도 연천군"
    assert no_text == {"uid": "b", "error": "-:202: no text field (the record has: uid; the article goes in a text "
                                            "field, left empty for a headline alone)"}
    utf16 = subprocess.run([sys.executable, "-m", "src.predict", "--model", str(fitted_model_dir), "--input", "-"],
                           cwd=ROOT, input=lines.encode("utf-16"), capture_output=True, text=False)
    assert utf16.returncode == 3
    assert utf16.stderr.decode().splitlines()[-1].startswith("error: -: starts with a UTF-16 byte-order mark")
    csv_piped = subprocess.run([sys.executable, "-m", "src.predict", "--model", str(fitted_model_dir), "--input", "-"],
                               cwd=ROOT, input="uid,text\na,연천군보건소는 검진을 한다.\n".encode("cp949"), capture_output=True)
    assert (csv_piped.returncode, csv_piped.stdout) == (3, b"")
    assert csv_piped.stderr.decode().splitlines()[-1].startswith(
        "error: -:1: standard input is read as JSON Lines, and its first line is not a JSON object")


def test_records_fed_one_by_one_on_standard_input_are_answered_as_they_come(fitted_model_dir):
    feed = subprocess.Popen([sys.executable, "-m", "src.predict", "--model", str(fitted_model_dir), "--input", "-"],
                            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    answers = []
    threading.Thread(target=lambda: answers.extend(json.loads(line) for line in feed.stdout), daemon=True).start()

    def answered(count: int) -> list[str]:
        deadline = time.monotonic() + 60
        while len(answers) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return [answer["uid"] for answer in answers]

    for count, (uid, text) in enumerate([("a", "연천군보건소는 백학면에서 검진을 한다."),
                                         ("b", "양주시는 덕정동에 도서관을 열었다.")], start=1):
        feed.stdin.write((json.dumps({"uid": uid, "text": text}, ensure_ascii=False) + "\n").encode("utf-8"))
        feed.stdin.flush()
        assert answered(count) == ["a", "b"][:count]  # while standard input is still open
    feed.stdin.close()
    assert feed.wait(timeout=60) == 0
    assert [answer["municipality"] for answer in answers] == ["경기도 연천군", "경기도 양주시"]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_feed_stopped_while_it_waits_for_the_next_record_ends_in_one_line(fitted_model_dir, tmp_path, stop):
    out = tmp_path / "out.jsonl"
    with out.open("wb") as answers:  # a reader blocked on stdin used to abort the interpreter on its way out
        feed = subprocess.Popen([sys.executable, "-m", "src.predict", "--model", str(fitted_model_dir), "--input", "-"],
                                cwd=ROOT, stdin=subprocess.PIPE, stdout=answers, stderr=subprocess.PIPE)
        feed.stdin.write(json.dumps({"uid": "a", "text": "연천군보건소는 검진을 한다."}).encode("utf-8") + b"\n")
        feed.stdin.flush()
        deadline = time.monotonic() + 60
        while not out.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.05)
        feed.send_signal(stop)
        assert feed.wait(timeout=60) == (143 if stop == signal.SIGTERM else 130)
    ready, stopped = feed.stderr.read().decode().splitlines()
    assert ready.startswith(f"tagging standard input with {fitted_model_dir}: model ")
    assert stopped == "interrupted: 1 record(s) were written, one for every record read"
    assert [json.loads(line)["uid"] for line in out.read_text(encoding="utf-8").splitlines()] == ["a"]
    feed.stdin.close()
    feed.stderr.close()


def test_a_record_in_neither_encoding_keeps_its_uid_where_it_can_be_read(fitted_model_dir, write, capsys):
    bad = '{"uid": "junk", "text": "'.encode() + b"\xff\xfe" + '연천"}\n{"uid": 7, "text": "연천군은 검진을 한다."}\n'.encode()
    done = subprocess.run([sys.executable, "-m", "src.predict", "--model", str(fitted_model_dir), "--input", "-"],
                          cwd=ROOT, input=bad, capture_output=True)
    junk, good = map(json.loads, done.stdout.decode("utf-8").splitlines())
    assert junk == {"uid": "junk", "error": "-:1: bytes that are not UTF-8 or CP949 text"} and good["uid"] == 7
    sheet = write("bad.csv", b"uid,title,text\nr1,t," + b"\xff\xfe" + "연천\n".encode())
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(sheet)]) == 1
    assert json.loads(capsys.readouterr().out)["uid"] == "r1"


def test_a_json_line_cut_short_first_on_standard_input_is_one_bad_record(fitted_model_dir):
    lines = '{"uid": "cut", "title": "부산\n{"uid": "b", "text": "연천군보건소는 검진을 한다."}\n'.encode("utf-8")
    done = subprocess.run([sys.executable, "-m", "src.predict", "--model", str(fitted_model_dir), "--input", "-"],
                          cwd=ROOT, input=lines, capture_output=True)
    assert done.returncode == 1
    cut, whole = map(json.loads, done.stdout.decode("utf-8").splitlines())
    assert cut["error"] == "-:1: not valid JSON (Unterminated string starting at character 25)"
    assert whole["uid"] == "b" and "category" in whole
    assert f"\nerror: {cut['error']}\n" in done.stderr.decode()  # a feed's log tells each bad record


def test_a_batch_writes_into_a_pipe(fitted_model_dir, tmp_path):
    source, pipe = tmp_path / "in.jsonl", tmp_path / "pipe"
    source.write_text(json.dumps({"uid": "a", "text": "연천군보건소는 백학면에서 검진을 한다."}) + "\n", encoding="utf-8")
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text(encoding="utf-8")))
    reader.start()
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(source), "--output", str(pipe)]) == 0
    reader.join(timeout=30)
    assert json.loads(received[0])["uid"] == "a"


class SignalledMidChunk(FullDisk):
    """A file that takes the second chunk in two writes, with SIGTERM arriving between them."""

    def write(self, data):
        self.room += 1  # counts the writes here
        if self.room == 2:
            written = self.file.write(data[:len(data) // 2])
            os.kill(os.getpid(), signal.SIGTERM)
            return written
        return self.file.write(data)


def test_a_signal_midway_through_a_chunk_leaves_whole_lines(fitted_model_dir, tmp_path, capsys, monkeypatch):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    records = [{"uid": str(n), "text": "연천군보건소는 백학면에서 검진을 한다."} for n in range(2)]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    monkeypatch.setattr(predict, "BATCH_SIZE", 1)
    monkeypatch.setattr(output, "_open_output", lambda path: SignalledMidChunk(path, room=0))
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(source), "--output", str(out)]) == 143
    assert [json.loads(line)["uid"] for line in out.read_text(encoding="utf-8").splitlines()] == ["0"]
    assert capsys.readouterr().err == f"interrupted: 1 record(s) were written, {out} is incomplete\n"


def test_a_disk_full_at_the_first_write_says_the_output_is_empty(fitted_model_dir, tmp_path, capsys, monkeypatch):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"uid": "a", "text": "연천군보건소는 백학면에서 검진을 한다."}) + "\n", encoding="utf-8")
    out.write_text("an earlier output\n", encoding="utf-8")
    monkeypatch.setattr(output, "_open_output", lambda path: FullDisk(path, room=0))
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(source), "--output", str(out)]) == 5
    assert capsys.readouterr().err.endswith(f"; no records were written, {out} is empty\n")
    assert out.read_bytes() == b""


def test_an_input_that_fails_midway_says_what_the_output_holds(fitted_model_dir, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out.jsonl"

    def damaged_after_one_record(source):  # as a Parquet file whose second row group is damaged
        yield 1, {"uid": "a", "text": "연천군보건소는 백학면에서 검진을 한다."}
        raise DataError(f"{source}: cannot read Parquet (OSError)")

    monkeypatch.setattr(predict, "BATCH_SIZE", 1)
    monkeypatch.setattr(predict, "_records", damaged_after_one_record)
    assert predict.main(["--model", str(fitted_model_dir), "--input", "in.parquet", "--output", str(out)]) == 3
    assert capsys.readouterr().err == (f"error: in.parquet: cannot read Parquet (OSError); "
                                       f"1 record(s) were written, {out} is incomplete\n")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1


def test_a_command_runs_outside_the_main_thread(fitted_model_dir, capsys):
    codes = []
    command = ["--model", str(fitted_model_dir), str(EXAMPLE)]
    worker = threading.Thread(target=lambda: codes.append(predict.main(command)))
    worker.start()
    worker.join(timeout=60)
    assert codes == [0] and "경기도 연천군" in capsys.readouterr().out


def test_a_full_disk_on_standard_output_is_one_line(fitted_model_dir, capsys, monkeypatch):
    class Full(io.StringIO):
        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sys, "stdout", Full())
    assert predict.main(["--model", str(fitted_model_dir), str(EXAMPLE)]) == 5
    assert capsys.readouterr().err == "error: cannot write to standard output: No space left on device\n"


def test_usage_and_model_errors_exit_cleanly(tmp_path, capsys):
    assert predict.main([]) == 2
    assert capsys.readouterr().err == "error: give article files (or -), or --input FILE\n"
    assert predict.main([str(tmp_path / "in.jsonl")]) == 2
    assert "a file of records goes with --input" in capsys.readouterr().err
    for k in ("0", "-1", "11", "two"):
        assert predict.main(["--top-k", k, str(EXAMPLE)]) == 2
        assert "--top-k: " + repr(k) + ": give a whole number from 1 to 10" in capsys.readouterr().err
    assert predict.main(["--input", str(tmp_path / "in.jsonl"), "--keep", "title,category"]) == 2
    assert "--keep: category: the output has such a field already" in capsys.readouterr().err
    assert predict.main(["--keep", "title", str(EXAMPLE)]) == 2
    assert "--keep goes with --input" in capsys.readouterr().err
    assert predict.main(["--model", str(tmp_path), str(EXAMPLE)]) == 4
    assert "run `python -m src.train` first" in capsys.readouterr().err
    assert predict.main(["--model", str(EXAMPLE), str(EXAMPLE)]) == 4
    assert f"{EXAMPLE} is a file: give the folder that holds tagger.joblib" in capsys.readouterr().err
    assert train.main(["model.category.C=-1"]) == 2
    assert "model.category.C: -1.0 is out of range" in capsys.readouterr().err


def test_predict_path_does_not_import_mlflow_or_matplotlib(fitted_model_dir):
    code = ("import sys, contextlib, io, src.predict\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert src.predict.main(['--json', '--model', {str(fitted_model_dir)!r}, {str(EXAMPLE)!r}]) == 0\n"
            "print([m for m in ('mlflow', 'matplotlib') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_served_model_answers_invocations(trained):
    """`mlflow models serve` on a free local port answers POST /invocations with our fields."""
    _, folder, uri = trained
    log = folder / "serve.log"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with log.open("w") as server_log:
        server = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "models", "serve", "-m", "models:/tagger-test@champion",
             "-p", str(port), "--env-manager", "local"],
            # mlflow starts `uvicorn` by name: the environment's scripts must be on PATH
            env={**os.environ, "MLFLOW_TRACKING_URI": uri,
                 "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"},
            stdout=subprocess.DEVNULL, stderr=server_log)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2)
                    break
                except OSError:
                    assert time.monotonic() < deadline and server.poll() is None, log.read_text()[-2000:]
                    time.sleep(1)
            body = json.dumps({"dataframe_records": [
                {"title": "연천군, 백학면 건강검진", "text": "연천군보건소는 백학면에서 건강검진을 한다."},
                {"title": "부산 중구 화재 점검", "text": "부산 중구는 광복동 상가에서 화재 안전점검을 한다."},
                {"title": " ", "text": ""},
                {"uid": "a-4", "text": "연천군보건소는 백학면에서 건강검진을 한다."},
                {"uid": 5, "text": 12345},
            ]}, ensure_ascii=False).encode()
            request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body,
                                             headers={"Content-Type": "application/json"})
            answer = json.loads(urllib.request.urlopen(request, timeout=60).read())["predictions"]
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert [a.get("municipality") for a in answer] == ["경기도 연천군", "부산광역시 중구", None, "경기도 연천군", None]
    assert {"category", "category_score", "category_top", "municipality_code", "municipality_score",
            "evidence", "low_confidence"} <= set(answer[0]) and "uid" not in answer[0]
    assert answer[2] == {"error": "row:3: empty text"}
    assert answer[3]["uid"] == "a-4"
    assert answer[4] == {"uid": 5, "error": "row:5: field text is int, not text"}


def test_served_rows_keep_whole_number_uids_beside_rows_without_one(fitted_model):
    import pandas as pd

    from src.pyfunc_model import TaggerModel

    served = TaggerModel()
    served.model = fitted_model
    rows = pd.DataFrame([{"uid": 5, "text": "연천군보건소는 백학면에서 건강검진을 한다."},
                         {"text": "부산 중구는 광복동 상가에서 화재 안전점검을 한다."}])  # uid becomes 5.0, NaN
    first, second = served.predict(None, rows)
    assert first["uid"] == 5 and isinstance(first["uid"], int) and "uid" not in second
