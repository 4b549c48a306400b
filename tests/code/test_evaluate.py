import re

import numpy as np
import pytest

from src import evaluate


def test_scores_count_the_second_label_and_none():
    scores = evaluate.category_scores(["health", "urban", "economy"], ["health", "economy", "urban"],
                                      ["", "economy", ""], ["health", "urban", "economy"])
    assert scores["category_accuracy"] == pytest.approx(1 / 3)
    assert scores["category_accuracy_with_alt"] == pytest.approx(2 / 3)
    places = evaluate.municipality_scores(["없음", "경기도 연천군", "없음"], ["없음", "없음", "경기도"],
                                          "없음", seen_in_training={"없음"})
    assert places["municipality_none_precision"] == 0.5 and places["municipality_none_recall"] == 0.5
    assert places["municipality_accuracy_unseen"] == 0.0 and places["municipality_unseen_articles"] == 1


def test_none_precision_and_recall_are_left_out_where_undefined(tmp_path):
    from src.train import TrainingResult

    own_releases = evaluate.municipality_scores(["경기도 연천군"] * 2, ["경기도 연천군", "경기도"], "없음")
    assert own_releases == {"municipality_accuracy": 0.5}
    tagged_none = evaluate.municipality_scores(["경기도 연천군"] * 2, ["경기도 연천군", "없음"], "없음")
    assert tagged_none == {"municipality_accuracy": 0.5, "municipality_none_precision": 0.0}
    metrics = {"category_macro_f1": 1.0, "category_accuracy": 1.0, "category_accuracy_with_alt": 1.0,
               "train_seconds": 1.0, **tagged_none}
    table = TrainingResult(metrics, 2, 2, tmp_path, None).table()
    municipality_row = next(line for line in table.splitlines() if line.strip().startswith("municipality"))
    assert municipality_row.split() == ["municipality", "0.500", "0.000", "n/a"]


def test_calibration_error_is_the_weighted_gap_per_bin():
    confidence = np.array([0.95, 0.9, 0.55, 0.52, 0.2])
    correct = np.array([1, 1, 0, 1, 0])
    # bins: 0.2 → gap 0.2 (1 of 5); 0.535 vs 0.5 (2 of 5); 0.925 vs 1.0 (2 of 5)
    assert evaluate.expected_calibration_error(confidence, correct) == pytest.approx(0.084)


def test_evaluate_command_scores_a_labelled_file(fitted_model_dir, capsys):
    from tests.conftest import SAMPLE_CORPUS

    assert evaluate.main(["--model", str(fitted_model_dir), "--data", str(SAMPLE_CORPUS), "--no-track"]) == 0
    figures = dict(re.findall(r"^\s*(\w+)\s+([0-9.]+)\s*$", capsys.readouterr().out, re.M))
    assert float(figures["category_macro_f1"]) > 0.9  # the corpus it was trained on, but HELD_OUT's articles
    assert float(figures["municipality_none_recall"]) > 0.8
    assert evaluate.main(["--model", str(fitted_model_dir), "--data", "missing.jsonl", "--no-track"]) == 3


def test_a_file_labelled_with_one_head_scores_that_head_alone(fitted_model_dir, tmp_path, capsys):
    import json

    from tests.conftest import SAMPLE_CORPUS

    articles = [json.loads(line) for line in SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines()[:40]]
    reports = {"category": {"category_mistakes.csv", "worst_mistakes.csv", "classification_report.txt",
                            "confusion_matrix.png", "reliability.png"},
               "municipality": {"municipality_mistakes.csv"}}
    for label, other in (("category", "municipality"), ("municipality", "category")):
        data = tmp_path / f"{label}_only.jsonl"
        data.write_text("".join(json.dumps({k: v for k, v in a.items() if k not in (other, "category_alt")},
                                           ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
        evaluation = evaluate.score_model(str(fitted_model_dir), data)
        assert f"{label}_accuracy" in evaluation.scores
        assert not any(name.startswith(other) for name in evaluation.scores)
        (tmp_path / label).mkdir()
        evaluate.write_reports(evaluation.records, evaluation.frame, evaluation.taxonomy, tmp_path / label)
        assert {path.name for path in (tmp_path / label).iterdir()} == reports[label]

    unlabelled = tmp_path / "unlabelled.jsonl"
    unlabelled.write_text(json.dumps({"uid": "a", "text": "연천군은 검진을 한다."}) + "\n", encoding="utf-8")
    assert evaluate.main(["--model", str(fitted_model_dir), "--data", str(unlabelled), "--no-track"]) == 3
    assert capsys.readouterr().err == (f"error: {unlabelled}: no category or municipality labels to score the "
                                       "model against\n")


def test_articles_that_fit_no_category_are_scored_by_the_flag_alone(fitted_model_dir, tmp_path, capsys, caplog):
    import json

    caplog.set_level("INFO", logger="src.evaluate")
    from tests.conftest import SAMPLE_CORPUS

    lines = SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines(True)
    others = tmp_path / "others.jsonl"
    others.write_text("".join(line for line in lines if json.loads(line)["category"] == "other"), encoding="utf-8")
    assert evaluate.main(["--model", str(fitted_model_dir), "--data", str(others), "--no-track"]) == 0
    figures = dict(re.findall(r"^\s*(\w+)\s+([0-9.]+)\s*$", capsys.readouterr().out, re.M))
    assert "low_confidence_share_of_none" in figures and "municipality_accuracy" in figures
    assert not any(name.startswith("category_") or name == "low_confidence_share" for name in figures)
    assert "every article is labelled other, so only the low-confidence flag is scored" in caplog.text


def test_scoring_a_file_the_model_was_trained_on_is_warned_of(fitted_model, tmp_path, caplog):
    from src.persistence import save_model, sha256_of
    from tests.conftest import SAMPLE_CORPUS

    card = {"versions": {"scikit-learn": __import__("sklearn").__version__},
            "data": {"train": {"files": [{"path": "sample.jsonl", "sha256": sha256_of(SAMPLE_CORPUS)}]}}}
    save_model(fitted_model, tmp_path, card)
    evaluate.score_model(str(tmp_path), SAMPLE_CORPUS)
    assert f"{SAMPLE_CORPUS} is a file this model was trained on" in caplog.text


def test_records_skipped_from_the_scored_file_are_warned_of(fitted_model_dir, tmp_path, caplog):
    from tests.conftest import SAMPLE_CORPUS

    caplog.set_level("INFO", logger="src.evaluate")
    lines = SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines(True)[:30]
    data = tmp_path / "eval.jsonl"
    data.write_text("".join(lines) + "not json\n" + lines[0], encoding="utf-8")
    evaluation = evaluate.score_model(str(fitted_model_dir), data, on_error="skip")
    assert (len(evaluation.frame), evaluation.skipped) == (30, 2)
    assert "warning: 2 of the 32 records were skipped: the figures are of the 30 articles left" in caplog.text
    assert "skipped eval.jsonl:32: duplicate uid" in caplog.text
