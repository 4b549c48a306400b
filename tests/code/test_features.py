import pickle

import pytest

from src.features import Article, KiwiTokenizer, MorphemeTfidf

PAIRS = [("연천군, 예산 편성", "연천군은 내년 예산을 편성했다."), ("", "본문만 있는 기사입니다.")]


def test_keeps_the_chosen_tags_and_weights_the_title():
    articles = KiwiTokenizer(pos_tags=("NNG", "NNP"), title_weight=2).fit_transform(PAIRS)
    assert isinstance(articles[0], Article)
    assert articles[0].tokens == ("연천군", "예산", "편성") * 2 + ("연천군", "내년", "예산", "편성")
    assert articles[1].tokens == ("본문", "기사")
    assert 0 in articles[0].proper_noun_starts  # 연천군 at the very start is a proper noun


def test_an_article_becomes_its_headline_as_the_title_alone_reads():
    tokenizer = KiwiTokenizer(pos_tags=("NNG", "NNP"), title_weight=2)
    article, = tokenizer.transform([("연천군, 예산 편성", "전곡읍은 예산을 편성했다.")])
    headline = article.headline()
    assert headline == tokenizer.transform([("연천군, 예산 편성", "")])[0]
    assert headline.tokens == ("연천군", "예산", "편성") * 2
    assert headline.proper_noun_starts == {0}  # 전곡읍 of the text is gone


def test_accepts_frames_dicts_and_bare_texts():
    import pandas as pd

    tokenizer = KiwiTokenizer()
    frame = pd.DataFrame({"title": [PAIRS[0][0]], "text": [PAIRS[0][1]]})
    expected = tokenizer.transform([PAIRS[0]])
    assert tokenizer.transform(frame) == expected
    assert tokenizer.transform([{"title": PAIRS[0][0], "text": PAIRS[0][1]}]) == expected
    assert tokenizer.transform(["본문만 있는 기사입니다."]) == tokenizer.transform([PAIRS[1]])


def test_pickles_without_its_kiwi_and_rebuilds_it():
    tokenizer = KiwiTokenizer()
    before = tokenizer.transform(PAIRS)
    assert tokenizer._kiwi_instance is not None
    state = pickle.dumps(tokenizer)
    assert b"kiwipiepy" not in state  # no Kiwi object (or anything of its module) inside
    assert tokenizer._kiwi_instance is not None  # the pickled copy drops it, the live one keeps it
    restored = pickle.loads(state)
    assert getattr(restored, "_kiwi_instance", None) is None
    assert restored.transform(PAIRS) == before


def test_morpheme_tfidf_pickles_its_vocabulary_as_one_string():
    articles = KiwiTokenizer().transform(PAIRS * 2)
    vectorizer = MorphemeTfidf(ngram_range=(1, 2)).fit(articles)
    assert isinstance(vectorizer.__getstate__()["vocabulary_"], str)
    assert isinstance(vectorizer.vocabulary_, dict)  # pickling leaves the live object as it was
    restored = pickle.loads(pickle.dumps(vectorizer))
    assert restored.vocabulary_ == vectorizer.vocabulary_
    assert (restored.transform(articles) != vectorizer.transform(articles)).nnz == 0


def test_morpheme_tfidf_keeps_a_vocabulary_whose_terms_hold_the_separator():
    articles = [Article("", "", ("줄\n바꿈", "예산"), frozenset())] * 2
    vectorizer = MorphemeTfidf().fit(articles)
    assert isinstance(vectorizer.__getstate__()["vocabulary_"], dict)
    assert pickle.loads(pickle.dumps(vectorizer)).vocabulary_ == vectorizer.vocabulary_


def test_cache_is_reused_across_tag_choices(tmp_path, monkeypatch):
    assert not KiwiTokenizer(cache_dir=tmp_path).is_cached(PAIRS)
    KiwiTokenizer(cache_dir=tmp_path).transform(PAIRS)
    assert KiwiTokenizer(pos_tags=("NNG",), cache_dir=tmp_path).is_cached(PAIRS)
    assert not KiwiTokenizer(cache_dir=None).is_cached(PAIRS)
    assert len(list(tmp_path.glob("kiwi-*.joblib"))) == 1

    def fail(self, pairs):
        raise AssertionError("re-tokenized although the corpus is cached")

    monkeypatch.setattr(KiwiTokenizer, "_analyze_uncached", fail)
    cached = KiwiTokenizer(pos_tags=("NNG",), title_weight=0, cache_dir=tmp_path).transform(PAIRS)
    assert cached[0].tokens == ("내년", "예산", "편성")
    with pytest.raises(AssertionError):  # other texts are not in the cache
        KiwiTokenizer(cache_dir=tmp_path).transform([("새 제목", "새 본문")])
