"""The bundled corpus is the default training data and the test fixture: check it is fit for both."""

from collections import Counter

from tests.conftest import SAMPLE_CORPUS


def test_size_and_coverage(sample_frame, taxonomy, gazetteer):
    assert len(sample_frame) >= 400
    per_category = Counter(sample_frame["category"])
    assert all(per_category[c] >= 30 for c in taxonomy.categories), per_category
    places = set(sample_frame["municipality"]) - {taxonomy.no_municipality}
    assert places == set(gazetteer.labels)  # every 시도 and 시군구 (the README promises all 243)


def test_articles_are_distinct(sample_frame):
    assert sample_frame["uid"].is_unique
    assert sample_frame["title"].is_unique
    openings = Counter(text[:60] for text in sample_frame["text"])
    assert openings.most_common(1)[0][1] == 1
    sentences = Counter(s.strip() for text in sample_frame["text"] for s in text.split(".") if len(s.strip()) > 30)
    assert sentences.most_common(1)[0][1] == 1, sentences.most_common(3)


def test_file_is_plain_utf8_jsonl():
    raw = SAMPLE_CORPUS.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8").count("\n") >= 400
