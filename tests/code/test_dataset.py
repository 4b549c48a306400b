import json
import os
import re
import threading

import pandas as pd
import pytest

from src import dataset
from src.dataset import PlaceLabels, decode_text, iter_records, load_corpora, load_corpus, read_article
from src.errors import DataError

CATEGORIES = ("health", "welfare", "other")
PLACES = ("경기도 연천군", "없음")


def record(uid="a1", **fields):
    base = {"uid": uid, "title": "연천군 보건소 소식", "text": "연천군보건소는 건강검진을 한다.",
            "category": "health", "category_alt": "", "municipality": "경기도 연천군"}
    return {**base, **fields}


def jsonl(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


def test_good_jsonl_loads_with_its_columns(write):
    frame, report = load_corpus(write("c.jsonl", jsonl(record("a1"), record("a2", category="welfare"))),
                                CATEGORIES, PLACES)
    assert list(frame["uid"]) == ["a1", "a2"]
    assert list(frame.columns[:6]) == ["uid", "title", "text", "category", "category_alt", "municipality"]
    assert report.kept == 2 and not report.skipped


def test_spaces_around_a_label_are_not_part_of_it(write):
    spaced = record("a1", category="health ", category_alt=" welfare", municipality=" 경기도 연천군 ")
    frame, _ = load_corpus(write("c.jsonl", jsonl(spaced)), CATEGORIES, PLACES)
    assert frame.loc[0, ["category", "category_alt", "municipality"]].tolist() == ["health", "welfare", "경기도 연천군"]


BAD_RECORDS = {
    "malformed line": '{"uid": "b1", "title": ',
    "missing field": json.dumps({"uid": "b1", "title": "t", "text": "본문", "category": "health"}),
    "empty text": json.dumps(record("b1", text="   "), ensure_ascii=False),
    "unknown label": json.dumps(record("b1", category="sports"), ensure_ascii=False),
    "unknown municipality": json.dumps(record("b1", municipality="경기도 없는군"), ensure_ascii=False),
    "duplicate uid": json.dumps(record("a1"), ensure_ascii=False),
}


@pytest.mark.parametrize("case", BAD_RECORDS)
def test_each_bad_record_stops_loading_with_file_and_line(write, case):
    path = write("c.jsonl", jsonl(record("a1"), BAD_RECORDS[case], record("a3")))
    with pytest.raises(DataError, match=r"c\.jsonl:2: "):
        load_corpus(path, CATEGORIES, PLACES)


def test_a_title_may_be_left_out(write):
    untitled = {key: value for key, value in record("a1").items() if key != "title"}
    frame, _ = load_corpus(write("c.jsonl", jsonl(untitled)), CATEGORIES, PLACES)
    assert frame.loc[0, "title"] == "" and frame.loc[0, "text"] == untitled["text"]


def test_an_unknown_label_error_says_what_would_be_known(write, gazetteer):
    path = write("c.jsonl", jsonl(record("a1", category="행정·자치")))
    with pytest.raises(DataError, match=r"unknown category '행정·자치' \(the categories: health, welfare"):
        load_corpus(path, CATEGORIES, PLACES)
    places = PlaceLabels.of(gazetteer, "없음")
    for written, hint in (("중구", "did you mean '대구광역시 중구' or '대전광역시 중구' or '부산광역시 중구' or "
                                  "'서울특별시 중구' or '울산광역시 중구' or '인천광역시 중구'?"),
                          ("광주시", "did you mean '경기도 광주시' or '광주광역시'?"),
                          ("경상북도 군위군", "did you mean '대구광역시 군위군'?"),  # 대구's since 2023
                          ("한양", "write 시도 and 시군구 in full, e.g. '경기도 수원시', or 없음 for an article "
                                  "about no government")):
        path = write("c.jsonl", jsonl(record("a1", municipality=written)))
        with pytest.raises(DataError, match=re.escape(f"unknown municipality {written!r} ({hint})")):
            load_corpus(path, CATEGORIES, places)
    path = write("c.jsonl", jsonl(record("a1", municipality="")))
    with pytest.raises(DataError, match=re.escape("missing or empty field(s): municipality (an article about no government "
                                                  "is labelled 없음)")):
        load_corpus(path, CATEGORIES, places)


def test_labels_written_as_people_write_them_are_read_as_theirs_and_counted(write, gazetteer):
    written = {"부산시": "부산광역시", "경기 수원시": "경기도 수원시", "수원": "경기도 수원시",
               "강원도 춘천시": "강원특별자치도 춘천시", "전라북도": "전북특별자치도", "제주시": "제주특별자치도",
               "안산시 상록구": "경기도 안산시", "인천광역시 남구": "인천광역시 미추홀구", "경기도 연천군": "경기도 연천군"}
    records = [record(f"a{n}", municipality=label, category="복지·나눔" if n < 2 else "health")
               for n, label in enumerate(written)]
    frame, report = load_corpus(write("c.jsonl", jsonl(*records)), {"health": "보건·의료", "welfare": "복지·나눔"},
                                PlaceLabels.of(gazetteer, "없음"))
    assert list(frame["municipality"]) == list(written.values())
    assert list(frame["category"]) == ["welfare", "welfare", *["health"] * 7]
    assert report.read_as[("수원", "경기도 수원시")] == 1 and report.read_as[("복지·나눔", "welfare")] == 2
    assert sum(report.read_as.values()) == 10
    assert report.summary().endswith("; 10 labels read as the label they name")
    _, *spellings = report.lines()
    assert spellings[:2] == ["  read 복지·나눔 as welfare ×2", "  read 부산시 as 부산광역시 ×1"]
    assert len(spellings) == 9 and "  read 인천광역시 남구 as 인천광역시 미추홀구 ×1" in spellings
    twice = [record("a1", municipality="부산시"), record("a1", municipality="수원")]  # the second is skipped
    _, report = load_corpus(write("c.jsonl", jsonl(*twice)), CATEGORIES, PlaceLabels.of(gazetteer, "없음"), "skip")
    assert report.read_as == {("부산시", "부산광역시"): 1}
    with pytest.raises(DataError, match="unknown municipality '수원'"):  # a plain list of labels is read as written
        load_corpus(write("c.jsonl", jsonl(record("a1", municipality="수원"))), CATEGORIES, PLACES)


def test_skip_mode_counts_every_bad_record_by_reason(write):
    path = write("c.jsonl", jsonl(record("a1"), *BAD_RECORDS.values(), record("a9")))
    frame, report = load_corpus(path, CATEGORIES, PLACES, on_error="skip")
    assert list(frame["uid"]) == ["a1", "a9"]
    assert report.skipped == {"malformed line": 1, "missing field": 1, "empty text": 1,
                              "unknown label": 2, "duplicate uid": 1}
    assert "skipped 6" in report.summary()
    *_, last_example, rest = report.lines()
    assert last_example.startswith("  skipped c.jsonl:") and rest == "  … and 1 more"


def test_several_files_are_one_corpus_with_a_report_each(write):
    first = write("a.jsonl", jsonl(record("a1"), record("a2")))
    second = write("b.csv", "uid,title,text,category,category_alt,municipality\n"
                            "b1,제목,연천군은 검진을 한다.,health,,경기도 연천군\n", "cp949")
    frame, reports = load_corpora([first, second], CATEGORIES, PLACES)
    assert list(frame["uid"]) == ["a1", "a2", "b1"]
    assert [r.kept for r in reports] == [2, 1]


def test_korean_label_columns_are_read_as_the_labels(write, gazetteer):
    path = write("archive.csv", "번호,제목,본문,분류,지역\n7,연천 소식,연천군은 검진을 한다.,보건·의료,경기 연천군\n", "cp949")
    frame, _ = load_corpus(path, {"health": "보건·의료"}, PlaceLabels.of(gazetteer, "없음"))
    assert frame.loc[0, ["uid", "title", "category", "municipality"]].tolist() == ["7", "연천 소식", "health",
                                                                                  "경기도 연천군"]


def test_files_without_a_source_set_count_under_their_name(write):
    with_source = write("a.jsonl", jsonl(record("a1", source_set="press")))
    frame, _ = load_corpora([with_source, write("mine.jsonl", jsonl(record("b1")))], CATEGORIES, PLACES)
    assert list(frame["source_set"]) == ["press", "mine"]
    frame, _ = load_corpus(write("plain.jsonl", jsonl(record("c1"))), CATEGORIES, PLACES)
    assert "source_set" not in frame.columns


def test_a_uid_repeated_in_another_file_is_a_duplicate(write):
    first = write("a.jsonl", jsonl(record("a1")))
    second = write("b.jsonl", jsonl(record("b1"), record("a1")))
    with pytest.raises(DataError, match=r"b\.jsonl:2: duplicate uid a1"):
        load_corpora([first, second], CATEGORIES, PLACES)
    frame, reports = load_corpora([first, second], CATEGORIES, PLACES, on_error="skip")
    assert list(frame["uid"]) == ["a1", "b1"] and reports[1].skipped == {"duplicate uid": 1}
    with pytest.raises(DataError, match=r"c\.jsonl: no usable articles; skipped 1 \(1 duplicate uid\)"):
        load_corpora([first, write("c.jsonl", jsonl(record("a1")))], CATEGORIES, PLACES, on_error="skip")


def test_column_names_are_read_without_spaces_or_capitals(write, tmp_path):
    path = write("c.csv", "UID, Title, Text, Category, Category_Alt, Municipality\na1,제목,본문,health,,없음\n")
    frame, _ = load_corpus(path, CATEGORIES, PLACES)
    assert frame.loc[0, ["uid", "text", "municipality"]].tolist() == ["a1", "본문", "없음"]
    parquet = tmp_path / "c.parquet"
    pd.DataFrame([{f" {k.title()} ": v for k, v in record("a1").items()}]).to_parquet(parquet)
    assert load_corpus(parquet, CATEGORIES, PLACES)[0].loc[0, "uid"] == "a1"
    twice = write("twice.csv", "uid,title,Text,text,category,category_alt,municipality\na1,제목,본문,,health,,없음\n")
    with pytest.raises(DataError, match=r"more than one column is read as text \(Text, text\): rename one"):
        load_corpus(twice, CATEGORIES, PLACES)
    korean = write("k.csv", "번호,uid,제목,text,내용,category,category_alt,municipality\n"
                            "7,a1,제목,본문,요약,health,,없음\n")
    frame, _ = load_corpus(korean, CATEGORIES, PLACES)  # a field's own name wins over its Korean one
    assert frame.loc[0, ["uid", "title", "text"]].tolist() == ["a1", "제목", "본문"]
    with pytest.raises(DataError, match=r"more than one column is read as text \(본문, 내용\): rename one"):
        load_corpus(write("k2.csv", "uid,본문,내용,category,municipality\na1,본문,요약,health,없음\n"), CATEGORIES, PLACES)


def test_csv_in_cp949_and_broken_quoting(write):
    header = "uid,title,text,category,category_alt,municipality\n"
    good = 'a1,연천 소식,"연천군은 건강검진을, 무료로 한다.",health,,경기도 연천군\n'
    frame, _ = load_corpus(write("c.csv", header + good, "cp949"), CATEGORIES, PLACES)
    assert frame.loc[0, "text"] == "연천군은 건강검진을, 무료로 한다."
    broken = write("b.csv", header + good + 'a2,제목,"닫히지 않은 따옴표,health,,없음\n')
    with pytest.raises(DataError, match=r"b\.csv:\d+: broken CSV quoting"):
        load_corpus(broken, CATEGORIES, PLACES)


def test_a_csv_record_is_located_by_its_spreadsheet_row(write):
    header = "uid,title,text,category,category_alt,municipality\n"
    rows = ['a1,연천 소식,"연천군은\n건강검진을\n한다.",health,,경기도 연천군\n',
            'a2,연천 소식,"백학면\n소식",health,,충북 청주시\n']
    with pytest.raises(DataError, match=r"c\.csv:3: uid a2: unknown municipality"):
        load_corpus(write("c.csv", header + "".join(rows)), CATEGORIES, PLACES)
    broken = write("b.csv", header + rows[0] + 'a3,제목,"닫히지 않은\n따옴표,health,,없음\n')
    with pytest.raises(DataError, match=r"b\.csv:3: broken CSV quoting \(.*; lines 5-6 of the file read as this one row\)"):
        load_corpus(broken, CATEGORIES, PLACES)


def test_a_csv_field_longer_than_the_csv_modules_default_limit_is_read_whole(write):
    header = "uid,title,text,category,category_alt,municipality\n"
    long_text = "연천군은 건강검진을 한다. " * 20_000
    path = write("long.csv", f'{header}a1,제목,"{long_text}",health,,경기도 연천군\na2,제목,짧은 글,health,,없음\n')
    frame, _ = load_corpus(path, CATEGORIES, PLACES)
    assert list(frame["uid"]) == ["a1", "a2"] and frame.loc[0, "text"] == long_text


def test_an_empty_title_is_an_article_without_one(write):
    frame, _ = load_corpus(write("c.jsonl", jsonl(record("a1", title=""), record("a2", title=None))),
                           CATEGORIES, PLACES)
    assert list(frame["title"]) == ["", ""]


def test_parquet_is_read_in_batches_with_its_row_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset, "_PARQUET_BATCH_ROWS", 2)
    path = tmp_path / "c.parquet"
    records = [record(f"a{i}") for i in range(1, 6)]
    records[3]["category"] = "sports"
    pd.DataFrame(records).to_parquet(path)
    with pytest.raises(DataError, match=r"c\.parquet:4: uid a4: unknown category"):
        load_corpus(path, CATEGORIES, PLACES)
    frame, _ = load_corpus(path, CATEGORIES, PLACES, on_error="skip")
    assert list(frame["uid"]) == ["a1", "a2", "a3", "a5"]


def test_parquet_and_unsupported_type(tmp_path):
    path = tmp_path / "c.parquet"
    pd.DataFrame([record("a1"), record("a2")]).to_parquet(path)
    frame, _ = load_corpus(path, CATEGORIES, PLACES)
    assert len(frame) == 2
    with pytest.raises(DataError, match="unsupported file type '.txt'"):
        load_corpus(tmp_path / "c.txt", CATEGORIES, PLACES)


def test_missing_file_and_empty_corpus(write, tmp_path):
    with pytest.raises(DataError, match="No such file"):
        load_corpus(tmp_path / "none.jsonl", CATEGORIES, PLACES)
    with pytest.raises(DataError, match="no usable articles"):
        load_corpus(write("e.jsonl", "\n\n"), CATEGORIES, PLACES)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr"])
def test_articles_decode_in_every_supported_encoding(write, encoding):
    path = write("a.txt", "연천군 소식\n백학면에서 건강검진을 한다.\n", encoding)
    assert read_article(path) == ("연천군 소식", "백학면에서 건강검진을 한다.")


def test_the_encoding_is_told_by_korean_text_after_more_than_64_kb_of_ascii(write):
    english = "".join(f"e{n},Title {n},English text number {n} with some padding\r\n" for n in range(2000))
    text = "uid,title,text\r\n" + english + "k1,연천군 소식,백학면에서 건강검진을 한다.\r\n"
    path = write("late.csv", text, "cp949")
    assert len(english) > 65_536
    *_, (line, record) = iter_records(path, ("text",))
    assert line == 2002 and record["text"] == "백학면에서 건강검진을 한다."
    assert decode_text(path.read_bytes()) == text


def test_a_named_pipe_is_read_once_and_whole(tmp_path):
    """A pipe cannot be re-read to tell its encoding: after 64 KB of ASCII its Korean is UTF-8."""
    pipe = tmp_path / "feed.jsonl"
    os.mkfifo(pipe)
    lines = [json.dumps({"uid": n, "text": "English padding " * 8}) for n in range(1000)]
    lines.append(json.dumps({"uid": "k1", "text": "백학면에서 건강검진을 한다."}, ensure_ascii=False))
    writer = threading.Thread(target=lambda: pipe.write_text("\n".join(lines) + "\n", encoding="utf-8"))
    writer.start()
    records = list(iter_records(pipe, ("text",)))
    writer.join()
    assert len(records) == 1001 and sum(map(len, lines)) > 65_536
    assert records[-1] == (1001, {"uid": "k1", "text": "백학면에서 건강검진을 한다."})


def test_binary_bytes_are_refused():
    with pytest.raises(DataError, match="binary"):
        decode_text(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(DataError, match="not UTF-8 or CP949"):
        decode_text(bytes([0x80, 0xff, 0xfe, 0xfd]) * 4)
    with pytest.raises(DataError, match="UTF-16 byte-order mark: save the text as UTF-8"):
        decode_text("연천군 소식".encode("utf-16"))
