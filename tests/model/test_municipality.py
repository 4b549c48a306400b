"""Behaviour of the municipality head on small, hand-written articles."""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest

from src.heads.municipality import MunicipalityTagger, _learn_head_names, _resolve_homonyms
from src.predict import predict_texts
from tests.conftest import HELD_OUT


def tag(model, title, text):
    return predict_texts(model, [(title, text)])[0]


def test_finds_a_government_it_never_saw_in_training(fitted_model):
    assert HELD_OUT not in set(fitted_model[-1].municipality_.head_names_.values())
    record = tag(fitted_model, "연천군, 전곡읍 어르신 무료 이동목욕 서비스",
                 "연천군(군수 홍길동)은 전곡읍과 백학면 거동이 불편한 어르신을 찾아가는 이동목욕 서비스를 "
                 "시작한다고 밝혔다. 군은 목욕 차량 2대를 마련해 주 3회 운행한다. 연천군 관계자는 "
                 "\"어르신들의 위생과 건강을 꼼꼼히 챙기겠다\"고 말했다.")
    assert record["municipality"] == HELD_OUT
    assert record["municipality_code"] == "41800"
    assert record["municipality_sido"] == "경기도"
    assert any("연천군" in e for e in record["evidence"]["municipality"])


@pytest.mark.parametrize("title, text, expected", [
    ("부산 중구, 광복동 상가 화재 안전점검",
     "부산 중구는 광복동과 남포동 상가를 대상으로 겨울철 화재 안전점검을 벌인다. 중구 관계자는 상인들의 협조를 당부했다.",
     "부산광역시 중구"),
    ("서울 중구, 명동 관광특구 야간 순찰 강화",
     "서울 중구는 명동 관광특구의 야간 안전을 위해 순찰을 늘린다고 밝혔다. 중구청은 외국인 관광객 안내소도 함께 운영한다.",
     "서울특별시 중구"),
    ("강원 고성군, 거진항 수산물 축제 개막",
     "강원 고성군은 거진항 일대에서 수산물 축제를 연다고 밝혔다. 고성군 관계자는 동해안 대표 축제로 키우겠다고 말했다.",
     "강원특별자치도 고성군"),
    ("경남 고성군, 공룡엑스포 준비 착수",
     "경남 고성군은 당항포 관광지에서 열릴 공룡엑스포 준비에 들어갔다. 고성군은 통영, 사천과 연계한 관광 상품도 만든다.",
     "경상남도 고성군"),
    ("경기 광주시, 곤지암 도자기 축제 연다",
     "경기 광주시는 곤지암읍 도자공원에서 도자기 축제를 연다고 밝혔다. 광주시 관계자는 남한산성과 연계한 관광 코스를 안내했다.",
     "경기도 광주시"),
])
def test_homonyms_are_resolved_from_context(fitted_model, title, text, expected):
    assert tag(fitted_model, title, text)["municipality"] == expected


@pytest.mark.parametrize("title, expected", [
    ("안산시, 청년 창업 지원 확대", "경기도 안산시"),
    ("연천군, 전곡읍에 공공도서관 착공", HELD_OUT),
    ("부산 해운대구, 해수욕장 조기 개장", "부산광역시 해운대구"),
    ("서울 은평구는 7일 구청 대강당에서 주민 공청회를 열었다.", "서울특별시 은평구"),
    ("정부, 내년 예산안 국회 제출", "없음"),
    ("삼성전자, 3분기 영업이익 발표", "없음"),
])
def test_a_headline_alone_is_tagged(fitted_model, title, expected):
    """A portal's feed of headlines: a title with no text has a scorer trained on headlines."""
    assert tag(fitted_model, title, "")["municipality"] == expected


@pytest.mark.parametrize("title, text", [
    ("안산시, 청년 창업 지원 확대", "안산시는 올해 청년 창업 지원 예산을 20억 원으로 늘린다고 밝혔다."),
    ("", "안산시, 청년 창업 지원 확대"),  # a headline given as the text
])
def test_a_brief_is_read_as_one_headline(fitted_model, title, text):
    tagger = fitted_model[-1].municipality_
    as_article = copy.copy(tagger)
    as_article.headline_chars = 0
    brief = fitted_model[0].transform([(title, text)])
    assert len(text) <= tagger.headline_chars
    assert list(tagger.predict(brief)) == ["경기도 안산시"]
    assert tagger.rank(brief)[0][0][1] != as_article.rank(brief)[0][0][1]  # the headline scorer's


def test_a_batch_is_ranked_as_its_articles_alone(fitted_model):
    """Headlines, articles and articles without any candidate, mixed: each scored by its own scorer."""
    batch = fitted_model[0].transform([
        ("안산시, 청년 창업 지원 확대", ""),
        ("정부, 내년 예산안 국회 제출", "기획재정부는 내년 예산안을 국회에 제출했다."),
        ("연천군 소식", "연천군은 전곡읍에서 축제를 연다. 연천군 관계자는 많은 참여를 당부했다."),
        ("주민 공청회", " "),
    ])
    tagger = fitted_model[-1].municipality_
    assert tagger.rank(batch) == [tagger.rank([article])[0] for article in batch]


def saved_before_headline_scorers(estimator: MunicipalityTagger) -> MunicipalityTagger:
    state = {k: v for k, v in estimator.__getstate__().items() if k not in ("headline_scorer_", "headline_chars")}
    restored = MunicipalityTagger.__new__(MunicipalityTagger)
    restored.__setstate__(pickle.loads(pickle.dumps(state)))
    return restored


def test_a_model_saved_before_the_headline_scorer_tags_headlines_as_articles(fitted_model):
    tagger = fitted_model[-1].municipality_
    restored = saved_before_headline_scorers(tagger)
    as_articles = copy.copy(tagger)
    as_articles.headline_scorer_ = None
    headline = fitted_model[0].transform([("안산시, 청년 창업 지원 확대", "")])
    assert restored.rank(headline) == as_articles.rank(headline) != tagger.rank(headline)
    unfitted = saved_before_headline_scorers(fitted_model[-1].municipality)  # the template TwoHeads keeps
    assert unfitted.get_params()["headline_chars"] == 0  # set_params on the loaded pipeline needs it


def test_headlines_are_scored_as_articles_when_few_training_titles_name_their_government(fitted_model, gazetteer):
    corpus = [("주민 공청회 개최", "서울 은평구는 구청에서 주민 공청회를 열었다."),
              ("도서관 착공", "은평구는 불광동에 도서관을 짓는다."),
              ("청년 창업 지원", "은평구는 청년 창업 지원을 늘린다.")]
    tagger = MunicipalityTagger(gazetteer=gazetteer).fit(fitted_model[0].transform(corpus), ["서울특별시 은평구"] * 3)
    assert tagger.headline_scorer_ is None
    brief = fitted_model[0].transform([("도서관 착공", "은평구는 불광동에 도서관을 짓는다.")])
    as_articles = copy.copy(tagger)
    as_articles.headline_chars = 0
    assert tagger.rank(brief) == as_articles.rank(brief)


def test_a_corpus_that_names_no_government_trains_and_answers_none(fitted_model, gazetteer):
    corpus = [("정부 발표", "정부는 오늘 새 제도를 발표했다."), ("정부 실적", "정부 실적이 좋았다고 발표했다."),
              ("정부 날씨", "정부는 내일은 맑다고 발표했다.")]
    tagger = MunicipalityTagger(gazetteer=gazetteer).fit(fitted_model[0].transform(corpus), ["없음"] * 3)
    articles = fitted_model[0].transform([("연천군 소식", "연천군은 축제를 연다."), ("연천군 소식", "")])
    assert list(tagger.predict(articles)) == ["없음", "없음"]


def test_a_name_read_as_two_governments_is_narrowed_by_the_place_before_it(gazetteer):
    """광주시 is 경기도 광주시's name and also what 광주광역시 calls itself: one name, two readings."""
    def readings(text):
        return [label for m in _resolve_homonyms(gazetteer.find_mentions(text), gazetteer)
                if m.surface == "광주시" for label in m.labels]

    assert sorted(readings("광주시는 축제를 연다.")) == ["경기도 광주시", "광주광역시"]
    assert readings("경기 광주시는 축제를 연다.") == ["경기도 광주시"]
    assert readings("광주광역시 광주시청 앞") == ["광주광역시"]
    district = [m.labels for m in _resolve_homonyms(gazetteer.find_mentions("광주시 북구는"), gazetteer)
                if m.surface == "북구"]
    assert district == [("광주광역시 북구",)]  # either reading of 광주시 may qualify the next name


def test_province_as_actor_gets_the_province(fitted_model):
    record = tag(fitted_model, "전라남도, 도내 22개 시군과 기후위기 대응 협약",
                 "전라남도는 도청 회의실에서 도내 22개 시군과 기후위기 공동 대응 협약을 맺었다고 밝혔다. "
                 "도지사는 \"전남도가 탄소중립을 앞장서 이끌겠다\"고 말했다.")
    assert record["municipality"] == "전라남도"
    assert record["municipality_code"] == "46000"


@pytest.mark.parametrize("title, text", [
    ("정부, 내년 최저임금 인상률 발표",
     "고용노동부는 최저임금위원회 심의를 거쳐 내년도 최저임금을 결정했다고 밝혔다. 정부는 "
     "소상공인 부담을 덜기 위한 지원책도 함께 내놓았다. 경제단체들은 엇갈린 반응을 보였다."),
    # 합동 ("joint") is also a 동 of 서울 서대문구: a word, not a place, in national news
    ("국토부·경찰청, 불법 개조 화물차 합동 단속 나선다",
     "국토교통부와 경찰청은 다음 달부터 두 달간 전국 고속도로 휴게소와 물류 거점에서 불법 개조 화물차 합동 "
     "단속을 벌인다고 밝혔다. 합동 단속반은 적재함 불법 연장과 안전장치 임의 제거 여부를 집중 점검한다. 정부는 "
     "합동 점검 결과를 토대로 관련 제도 개선안을 마련할 계획이다. 두 기관은 지난해에도 합동 단속으로 위반 차량 "
     "1천여 대를 적발했다. 관계자는 \"합동 단속을 정례화하겠다\"고 말했다."),
])
def test_national_news_gets_none(fitted_model, title, text):
    record = tag(fitted_model, title, text)
    assert record["municipality"] == "없음"
    assert record["municipality_code"] is None


def test_none_names_the_governments_it_weighed(fitted_model):
    record = tag(fitted_model, "국토부, 수도권과 5대 광역시 아파트값 동향 발표",
                 "국토교통부는 지난달 전국 아파트 매매가격이 0.2% 올랐다고 밝혔다. 서울과 부산, 대구, 대전의 "
                 "상승 폭이 컸고 지방 중소도시는 보합세를 보였다. 정부는 대출 규제를 유지하기로 했다.")
    assert record["municipality"] == "없음"
    assert set(record["evidence"]["municipality"]) == {"서울", "부산", "대구", "대전"}


def test_learns_heads_of_government_not_word_fragments(fitted_model):
    """From `윤병태 나주시장` it learns a mayor; from `전라남도 나주시장`, not that `라남도` is one."""
    tokenizer, tagger = fitted_model[0], fitted_model[-1].municipality_
    articles = tokenizer.transform([("윤병태 나주시장, 청년 일자리 현장 점검",
                                     "윤병태 나주시장은 빛가람동 청년 창업 공간을 찾았다. 전라남도 나주시장 "
                                     "일행은 이어 혁신도시 기업들과 간담회를 열었다.")])
    gold = np.array(["전라남도 나주시"], dtype=object)
    assert _learn_head_names(articles, tagger._mentions(articles), gold) == {"윤병태": "전라남도 나주시"}


@pytest.mark.parametrize("none_articles", [0, 1, 2])
def test_trains_when_a_level_is_rare(fitted_model, sample_frame, gazetteer, none_articles):
    """A press office's corpus: one government, and no, one or two articles about none."""
    own = sample_frame[sample_frame["municipality"] == "경기도"].head(12 - none_articles)
    corpus = pd.concat([own, sample_frame[sample_frame["municipality"] == "없음"].head(none_articles)])
    articles, gold = fitted_model[0].transform(corpus), corpus["municipality"].to_numpy()
    tagger = MunicipalityTagger(gazetteer=gazetteer).fit(articles, gold)
    np.testing.assert_array_equal(tagger.predict(articles), gold)
