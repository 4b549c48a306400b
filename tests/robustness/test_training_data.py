"""Faults in training data: each bad record stops loading with `file:line: reason`, or with
data.on_error=skip is skipped and counted; whole-file faults name the file; `python -m src.train`
answers every one with a message and an exit code, never a traceback."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from src import train
from src.dataset import load_corpus
from src.errors import DataError
from src.persistence import load_model
from src.predict import predict_texts
from tests.code.test_dataset import CATEGORIES, PLACES, record
from tests.conftest import SAMPLE_CORPUS

CSV_HEADER = "uid,title,text,category,category_alt,municipality\n"


def line(uid: str, **fields) -> bytes:
    return json.dumps(record(uid, **fields), ensure_ascii=False).encode()


def csv_row(uid: str) -> bytes:
    return f"{uid},연천 소식,\"연천군은 건강검진을, 무료로 한다.\",health,,경기도 연천군\n".encode()


# name: (file name, content, line of the fault, reason it is counted under). The good records
# around each fault must survive it.
JSONL_FAULTS = {
    "malformed JSON": b'{"uid": "b1", "title": ',
    "JSON that is not an object": b'["b1", "title", "text"]',
    "nesting too deep": b"[" * 100_000,
    "number too long": b'{"uid": 1' + b"0" * 5000 + b"}",
    "missing field": json.dumps({"uid": "b1", "title": "t", "text": "본문", "category": "health"}).encode(),
    "empty text": line("b1", text="  \n "),
    "null text": line("b1", text=None),
    "text that is a number": line("b1", text=12345),
    "title that is a list": line("b1", title=["연천", "소식"]),
    "uid that is true": line("a1").replace(b'"a1"', b"true"),
    "unknown category": line("b1", category="sports"),
    "unknown category_alt": line("b1", category_alt="weather"),
    "unknown municipality": line("b1", municipality="경기도 없는군"),
    "duplicate uid": line("a1"),
    "a CP949 line in a UTF-8 file": json.dumps(record("b1"), ensure_ascii=False).encode("cp949"),
}
REASONS = {"malformed JSON": "malformed line", "JSON that is not an object": "malformed line",
           "nesting too deep": "malformed line", "number too long": "malformed line",
           "missing field": "missing field", "empty text": "empty text", "null text": "empty text",
           "text that is a number": "wrong type", "title that is a list": "wrong type",
           "uid that is true": "wrong type",
           "unknown category": "unknown label", "unknown category_alt": "unknown label",
           "unknown municipality": "unknown label", "duplicate uid": "duplicate uid",
           "a CP949 line in a UTF-8 file": "bad encoding"}
CSV_FAULTS = {
    "CSV quote closed mid-cell": b'b1,"\xec\xa0\x9c\xeb\xaa\xa9"x,text,health,,\xec\x97\x86\xec\x9d\x8c\n',
    "CSV row with too few cells": b"b1,title,text\n",
    "CSV row in CP949": csv_row("b1").decode().encode("cp949"),
}
CASES = {
    **{name: ("c.jsonl", line("a1") + b"\n" + bad + b"\n" + line("a3") + b"\n", 2, REASONS[name])
       for name, bad in JSONL_FAULTS.items()},
    "truncated last line": ("c.jsonl", line("a1") + b"\n" + line("a3") + b"\n" + line("b1")[:30], 3,
                            "malformed line"),
    **{name: ("c.csv", CSV_HEADER.encode() + csv_row("a1") + bad + csv_row("a3"), 3, "malformed line"
              if "CP949" not in name else "bad encoding") for name, bad in CSV_FAULTS.items()},
    "CSV quote never closed": ("c.csv", CSV_HEADER.encode() + csv_row("a1") + csv_row("a3")
                               + b'b1,"open quote,text,health,,\n', 4, "malformed line"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_record_stops_loading_with_file_and_line(write, case):
    name, content, line_no, _ = CASES[case]
    with pytest.raises(DataError, match=rf"{name.replace('.', '[.]')}:{line_no}: \S"):
        load_corpus(write(name, content), CATEGORIES, PLACES)


@pytest.mark.parametrize("case", CASES)
def test_bad_record_is_skipped_and_counted(write, case):
    name, content, _, reason = CASES[case]
    path = write(name, content)
    frame, report = load_corpus(path, CATEGORIES, PLACES, on_error="skip")
    assert list(frame["uid"]) == ["a1", "a3"]
    assert report.skipped == {reason: 1}
    assert f"skipped 1 (1 {reason})" in report.summary() and name in report.examples[0]


WHOLE_FILE_FAULTS = {
    "UTF-16": ("c.jsonl", line("a1").decode().encode("utf-16"), "UTF-16 byte-order mark"),
    "UTF-16 without a BOM (NUL bytes)": ("c.jsonl", line("a1").decode().encode("utf-16-le"), "binary data"),
    "no known encoding": ("c.jsonl", bytes([0x80, 0xff, 0xfe, 0xfd]) * 8, "not UTF-8 or CP949"),
    "empty file": ("c.jsonl", b"", "no usable articles"),
    "only blank lines": ("c.jsonl", b"\n \n\r\n", "no usable articles"),
    "unsupported type": ("c.txt", line("a1"), "unsupported file type '.txt'"),
    "damaged Parquet": ("c.parquet", b"PAR1 not really parquet", "cannot read Parquet"),
    "CSV without the municipality column": ("c.csv", CSV_HEADER.replace(",municipality", "").encode()
                                            + b"a1,t,text,health,\n", "no column municipality"),
}


@pytest.mark.parametrize("case", WHOLE_FILE_FAULTS)
def test_unusable_file_is_refused_by_name(write, case):
    name, content, message = WHOLE_FILE_FAULTS[case]
    path = write(name, content)
    for on_error in ("fail", "skip"):
        with pytest.raises(DataError, match=message) as error:
            load_corpus(path, CATEGORIES, PLACES, on_error=on_error)
        assert str(path) in str(error.value)


SUPPORTED = {
    "JSONL in CP949": ("c.jsonl", (line("a1").decode() + "\n").encode("cp949")),
    "JSONL in EUC-KR": ("c.jsonl", (line("a1").decode() + "\n").encode("euc-kr")),
    "JSONL with BOM and CRLF": ("c.jsonl", b"\xef\xbb\xbf" + line("a1") + b"\r\n"),
    "CSV in CP949 with CRLF": ("c.csv",
                               (CSV_HEADER + csv_row("a1").decode()).replace("\n", "\r\n").encode("cp949")),
}


@pytest.mark.parametrize("case", SUPPORTED)
def test_supported_encodings_load(write, case):
    name, content = SUPPORTED[case]
    frame, report = load_corpus(write(name, content), CATEGORIES, PLACES)
    assert frame.loc[0, "text"].startswith("연천군") and not report.skipped


def slice_of_sample(every: int) -> list[str]:
    return SAMPLE_CORPUS.read_text(encoding="utf-8").splitlines()[::every]


def run_train(tmp_path, corpus: bytes | list[str], *overrides: str) -> int:
    path = tmp_path / "corpus.jsonl"
    path.write_bytes(corpus if isinstance(corpus, bytes) else "\n".join(corpus).encode() + b"\n")
    settings = {"data.train": path, "output.model_dir": tmp_path / "model", "data.cache_dir": "null",
                "tracking.enabled": "false"} | dict(override.split("=", 1) for override in overrides)
    return train.main([f"{key}={value}" for key, value in settings.items()])


def test_train_stops_at_a_bad_record_with_one_line(tmp_path, capsys):
    corpus = slice_of_sample(4)
    corpus.insert(7, '{"uid": "broken", ')
    assert run_train(tmp_path, corpus) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'corpus.jsonl'}:8: not valid JSON (") and err.count("\n") == 1
    assert not (tmp_path / "model").exists()


def test_train_skips_and_counts_every_kind_of_bad_record(tmp_path, caplog):
    faults = [bad for name, bad in JSONL_FAULTS.items() if name != "duplicate uid"]
    good = slice_of_sample(3)
    corpus = "\n".join(good).encode() + b"\n" + b"\n".join(faults) + b"\n" + good[0].encode() + b"\n"
    with caplog.at_level(logging.INFO, logger="src.train"):
        assert run_train(tmp_path, corpus, "data.on_error=skip") == 0
    path = str(tmp_path / "corpus.jsonl")
    summary = next(r.getMessage() for r in caplog.records if r.getMessage().startswith(path))
    assert summary.startswith(f"{path}: {len(good)} articles; skipped {len(faults) + 1} (")
    for reason in ("malformed line", "missing field", "empty text", "unknown label", "duplicate uid",
                   "bad encoding"):
        assert reason in summary
    assert (tmp_path / "model" / "tagger.joblib").exists()


def per_category(n: int, **counts: int) -> list[str]:
    """The first `n` sample articles of each category (`counts` overrides n per category)."""
    frame = pd.read_json(SAMPLE_CORPUS, lines=True)
    parts = [group.head(counts.get(category, n)) for category, group in frame.groupby("category")]
    return [json.dumps(r, ensure_ascii=False) for r in pd.concat(parts).to_dict("records")]


def test_a_category_with_one_training_article_stops_with_a_clear_message(tmp_path, capsys):
    assert run_train(tmp_path, per_category(6, health=1)) == 3
    err = capsys.readouterr().err
    assert err.strip() == "error: categories with a single training article cannot be calibrated: health"


@pytest.mark.parametrize("n", [2, 3])  # too rare to split, a category stays whole in training
def test_a_category_with_two_or_three_articles_still_trains(tmp_path, n):
    assert run_train(tmp_path, per_category(6, health=n)) == 0


def test_a_corpus_of_one_category_stops_with_a_clear_message(tmp_path, capsys):
    assert run_train(tmp_path, per_category(0, health=12)) == 3
    assert "needs at least two categories" in capsys.readouterr().err


def test_a_corpus_too_small_to_hold_out_a_test_split_stops_with_a_message(tmp_path, capsys):
    assert run_train(tmp_path, per_category(2)) == 3
    assert "give data.test or more data" in capsys.readouterr().err


@pytest.mark.parametrize("label", ["없음", "경기도 연천군"])
def test_a_corpus_with_a_single_municipality_label_still_trains_a_usable_model(tmp_path, label):
    """A press office's corpus: every article about its own government (named in the lead), or none."""
    lead = "" if label == "없음" else "연천군은 "
    records = [json.loads(line) for line in per_category(6)]
    corpus = [json.dumps({**r, "municipality": label, "text": lead + r["text"]}, ensure_ascii=False) for r in records]
    assert run_train(tmp_path, corpus) == 0
    model, _ = load_model(tmp_path / "model")
    (record,) = predict_texts(model, [("연천군, 제설 장비 점검", "연천군은 겨울철 제설 장비를 점검했다.")])
    assert record["municipality"] == label and 0 <= record["municipality_score"] <= 1


def test_a_training_run_from_cached_morphemes_says_so(tmp_path, capsys):
    corpus, cache = slice_of_sample(4), f"data.cache_dir={tmp_path / 'cache'}"
    assert run_train(tmp_path, corpus, cache) == 0
    assert " tokens/s); model in " in capsys.readouterr().out
    assert run_train(tmp_path, corpus, cache) == 0
    assert "(morphemes from the cache); model in " in capsys.readouterr().out
