"""Over-long articles are cut at the tokenizer's documented limit, with a warning per article.
(The 50 MB and 100,000-record cases are in benchmarks/bench_large_input.py: too slow for here.)"""

from __future__ import annotations

import json

from src import predict
from src.features import MAX_CHARS, KiwiTokenizer

PARAGRAPH = "연천군보건소는 백학면에서 건강검진을 한다. "


def test_tokenizer_cuts_title_and_text_to_max_chars():
    tokenizer = KiwiTokenizer(max_chars=50)
    short, long_text, long_title = tokenizer.transform([("제목", "본문"), ("제목", PARAGRAPH * 10),
                                                        (PARAGRAPH * 10, PARAGRAPH)])
    assert (short.title, short.text) == ("제목", "본문")
    assert long_text.title == "제목" and long_text.text == (PARAGRAPH * 10)[:48]
    assert len(long_title.title) == 50 and long_title.text == ""
    assert KiwiTokenizer().max_chars == MAX_CHARS == 20_000


def test_predict_warns_once_per_cut_article_and_still_tags_it(fitted_model_dir, write, capsys):
    long_file = write("long.txt", "연천군 보건소 소식\n" + PARAGRAPH * 1500)
    short_file = write("short.txt", "연천군 보건소 소식\n" + PARAGRAPH)
    assert predict.main(["--model", str(fitted_model_dir), "--json", str(long_file), str(short_file)]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["municipality"] for line in out.splitlines()] == ["경기도 연천군"] * 2
    n = len("연천군 보건소 소식") + len((PARAGRAPH * 1500).strip())
    assert err == f"warning: {long_file}: {n:,} characters, only the first 20,000 are tagged\n"


def test_batch_names_the_line_of_a_cut_record(fitted_model_dir, write, capsys):
    records = [{"uid": "a", "title": "제목", "text": PARAGRAPH},
               {"uid": "b", "title": "제목", "text": PARAGRAPH * 900}]
    source = write("in.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    assert predict.main(["--model", str(fitted_model_dir), "--input", str(source)]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["uid"] for line in out.splitlines()] == ["a", "b"]
    n = len("제목") + len(PARAGRAPH * 900)
    assert err.startswith(f"warning: in.jsonl:2: {n:,} characters, only the first 20,000 are tagged\n")
