"""Property-based fuzzing: arbitrary Unicode, control characters, mixed scripts, empty strings,
very long lines and arbitrary bytes through the tokenizer, the predict path and the readers.
No exception escapes: every input gets an answer or an error of its own."""

from __future__ import annotations

import io
import json
import math
from contextlib import redirect_stderr, redirect_stdout

import pytest
from hypothesis import given
from hypothesis import strategies as st

from src import predict
from src.config import PARAMS_FILE, Params, flatten_params, load_params
from src.dataset import decode_text, load_corpus, sniff_encoding
from src.errors import ConfigError, DataError
from src.features import MAX_CHARS, Article, KiwiTokenizer
from tests.robustness.conftest import FUZZ, count_example

pytestmark = pytest.mark.usefixtures("single_threaded")

ANY_CHAR = st.characters(exclude_categories=[])  # every code point, lone surrogates included
HANGUL = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
CONTROL = st.characters(categories=["Cc", "Cf", "Zl", "Zp"])
SURROGATE = st.characters(categories=["Cs"])  # a JSON escape such as "\ud800" makes one
OTHER_SCRIPTS = st.sampled_from("abcXYZ漢字中文ひらがなカタカナالعربيةעבריתไทย😀🇰🇷é\u0301\u200d\ufeff")
PLACE_WORDS = st.sampled_from(["연천군", "백학면", "부산 중구", "광주·전남", "중구", "경기도", "(시장 ", "보건소"])

TEXTS = st.one_of(
    st.just(""),
    st.text(ANY_CHAR, max_size=80),
    st.lists(st.one_of(HANGUL, OTHER_SCRIPTS, CONTROL, SURROGATE, ANY_CHAR, st.sampled_from(" \n\t.,()·")),
             max_size=200).map("".join),
    st.lists(st.one_of(PLACE_WORDS, st.text(st.one_of(HANGUL, ANY_CHAR), max_size=6)), max_size=40)
      .map(" ".join),
    # one very long line (past the tokenizer's limit when repeated the most)
    st.builds(lambda piece, n: piece * n, st.text(st.one_of(HANGUL, ANY_CHAR), min_size=1, max_size=12),
              st.integers(1, 2500)),
)
ARTICLES = st.tuples(TEXTS, TEXTS)
RECORD_FIELDS = ["uid", "title", "text"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXTS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6)


@pytest.fixture(scope="module")
def tokenizer():
    return KiwiTokenizer()


@FUZZ
@given(articles=st.lists(ARTICLES, min_size=1, max_size=3))
def test_tokenizer_answers_every_article(tokenizer, articles):
    count_example("tokenizer")
    result = tokenizer.transform(articles)
    assert len(result) == len(articles)
    for article in result:
        assert isinstance(article, Article) and all(isinstance(t, str) and t for t in article.tokens)
        assert len(article.title) + len(article.text) <= MAX_CHARS


@FUZZ
@given(article=st.one_of(ARTICLES, TEXTS))
def test_predict_answers_every_article(fitted_model, article):
    count_example("predict_texts")
    (record,) = predict.predict_texts(fitted_model, [article])
    assert 0.0 <= record["category_score"] <= 1.0 and 0.0 <= record["municipality_score"] <= 1.0
    assert record["category"] in fitted_model[-1].category_.classes_
    json.dumps(record, ensure_ascii=False).encode("utf-8")  # every field can be written out


@FUZZ
@given(records=st.lists(st.one_of(
    st.dictionaries(st.sampled_from(RECORD_FIELDS), JSON_VALUES, max_size=3),
    st.fixed_dictionaries({"uid": JSON_VALUES, "title": TEXTS, "text": TEXTS}),
    JSON_VALUES.map(lambda value: [value]),  # valid JSON but not an object
    st.text(ANY_CHAR, min_size=1, max_size=30).filter(str.strip),  # not JSON at all
), min_size=1, max_size=6))
def test_batch_gives_one_line_per_record(fitted_model, tmp_path_factory, records):
    """`--input` through `main`: one output line per input record, in order, each an answer
    or an `error`; exit code 0 or 1 (3 for a file with NUL bytes: not text)."""
    count_example("predict_batch")
    folder = tmp_path_factory.mktemp("batch")
    source, target = folder / "in.jsonl", folder / "out.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    text = "".join(line.replace("\n", " ").replace("\r", " ") + "\n" for line in lines)
    source.write_bytes(text.encode("utf-8", "surrogatepass"))  # a lone surrogate in a raw line: not UTF-8
    code, _, err = run_predict(fitted_model, ["--input", str(source), "--output", str(target)])
    if code == 3:  # refused whole: a NUL byte near the start marks a binary file (as documented)
        assert "\x00" in text and err.startswith(f"error: {source}: binary data")
        return
    assert code in (0, 1)
    out = [json.loads(line) for line in target.read_text(encoding="utf-8").split("\n")[:-1]]
    assert len(out) == len(lines)
    assert all(("error" in o) != ("category" in o) for o in out)
    assert code == (1 if any("error" in o for o in out) else 0)


@FUZZ
@given(content=st.one_of(st.binary(max_size=300), TEXTS.map(lambda t: t.encode("utf-8", "surrogatepass")),
                         TEXTS.map(lambda t: t.encode("cp949", "ignore"))))
def test_article_files_of_any_bytes(fitted_model, tmp_path_factory, content):
    """Any bytes as an article file: tagged (exit 0) or one `error:` line on stderr (exit 1)."""
    count_example("predict_file")
    path = tmp_path_factory.mktemp("file") / "a.txt"
    path.write_bytes(content)
    code, out, err = run_predict(fitted_model, ["--json", str(path)])
    if code == 0:
        assert json.loads(out)["file"] == str(path) and not err
    else:
        assert code == 1 and not out and err.count("\n") == 1 and err.startswith("error: ")


@FUZZ
@given(data=st.binary(max_size=400))
def test_decoding_any_bytes_gives_text_or_data_error(data):
    count_example("decode_text")
    try:
        assert isinstance(decode_text(data), str)
    except DataError:
        pass


@FUZZ
@given(lines=st.lists(st.one_of(st.binary(max_size=60), st.text(ANY_CHAR, max_size=60).map(
    lambda t: t.encode("utf-8", "surrogatepass"))), min_size=1, max_size=8))
def test_corpus_lines_are_kept_or_counted(tmp_path_factory, lines):
    """Arbitrary lines in a JSONL corpus: with on_error=skip every non-blank line is kept or
    counted as skipped (nothing is lost silently); otherwise a DataError names file and line."""
    count_example("load_corpus")
    path = tmp_path_factory.mktemp("corpus") / "c.jsonl"
    good = json.dumps({"uid": "g", "title": "제목", "text": "본문", "category": "health",
                       "municipality": "없음"}, ensure_ascii=False).encode()
    path.write_bytes(b"\n".join([good, *(line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines)]))
    try:
        _, report = load_corpus(path, ("health",), ("없음",), on_error="skip")
    except DataError as exc:  # the whole file refused: binary or in no supported encoding
        assert str(exc).startswith(str(path))
        return
    data = path.read_bytes()
    encoding = {"utf-8-sig": "utf-8"}.get(sniff_encoding(data), "cp949")  # a BOM counts only at the start
    non_blank = sum(1 for line in data.split(b"\n") if line.decode(encoding, "surrogateescape").strip())
    assert report.kept + sum(report.skipped.values()) == non_blank
    if report.skipped:
        with pytest.raises(DataError, match=r"c\.jsonl:\d+: "):
            load_corpus(path, ("health",), ("없음",))


SETTINGS = sorted(flatten_params(Params()))
ARGV_CHAR = st.characters(exclude_characters="\x00")  # what a command line can carry (no NUL, no lone surrogate)


@FUZZ
@given(key=st.one_of(st.sampled_from(SETTINGS), st.text(ARGV_CHAR, max_size=20)),
       value=st.one_of(st.text(ARGV_CHAR, max_size=20), st.sampled_from(
           ["null", "[]", "[1, 2]", "{}", "{a: 1}", "-1", "1e9", ".nan", "true", "'x'", "0.5"])))
def test_any_override_is_accepted_or_named(key, value):
    count_example("config_override")
    try:
        load_params(PARAMS_FILE, [f"{key}={value}"])
    except ConfigError as exc:  # names the setting (its section at least), or says how to write one
        section = key.partition("=")[0].strip().split(".")[0]
        assert section in str(exc) or "write it as key=value" in str(exc)


def run_predict(model, argv: list[str]) -> tuple[int, str, str]:
    """`predict.main(argv)` with `model` already loaded; its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(predict, "load_model", lambda source: (model, {}))
        with redirect_stdout(out), redirect_stderr(err):
            code = predict.main(argv)
    return code, out.getvalue(), err.getvalue()


def test_scores_are_finite_for_an_empty_and_a_huge_article(fitted_model):
    records = predict.predict_texts(fitted_model, [("", ""), ("연천군 " * 30_000, "")])
    assert all(math.isfinite(r["category_score"]) for r in records)
